// Barrel of src/manifest; each module here adds its export line.
export {};
