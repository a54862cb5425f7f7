// Barrel of src/formats/sops; each module here adds its export line.
export {};
