// Barrel of src/crypto; each module here adds its export line.
export {};
