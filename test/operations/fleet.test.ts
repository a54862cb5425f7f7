import { describe, expect, it } from 'vitest';
import { ConfigError, parseSealopsConfig } from '../../src/index.js';
import { DEFAULT_FLEET_OUTPUT, fleetOutputPath } from '../../src/operations/fleet.js';

describe('the output path of a fleet SealedSecret', () => {
  it('fills {cluster}, {path}, {dir}, {file}, {name} and {ext} from the source', () => {
    expect(fleetOutputPath('clusters/{cluster}/{path}', 'prod', 'apps/db.yaml')).toBe('clusters/prod/apps/db.yaml');
    expect(fleetOutputPath('{dir}/{name}.{cluster}{ext}', 'stage', 'apps/db.yaml')).toBe('apps/db.stage.yaml');
    expect(fleetOutputPath(DEFAULT_FLEET_OUTPUT, 'prod', 'apps/db.yaml')).toBe('apps/prod/db.yaml');
    expect(fleetOutputPath(DEFAULT_FLEET_OUTPUT, 'prod', 'db.yaml')).toBe('prod/db.yaml');
  });

  it('is refused in .sealops.yaml without {cluster}, with an unknown placeholder, or leaving the folder', () => {
    const cfg = (output: string): string => `clusters: {}\nrules:\n  - path: "**"\n    clusters: []\n    output: "${output}"\n`;
    expect(parseSealopsConfig(cfg('out/{cluster}/{file}'), 'x').rules[0]?.output).toBe('out/{cluster}/{file}');
    expect(() => parseSealopsConfig(cfg('out/{file}'), 'x')).toThrow(/rules\[0\]\.output must be a path pattern containing \{cluster\}/);
    expect(() => parseSealopsConfig(cfg('out/{cluster}/{flie}'), 'x')).toThrow(/unknown placeholder \{flie\}/);
    expect(() => parseSealopsConfig(cfg('../{cluster}/{file}'), 'x')).toThrow(ConfigError);
    expect(() => parseSealopsConfig(cfg('/abs/{cluster}'), 'x')).toThrow(ConfigError);
  });
});
