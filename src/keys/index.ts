// Barrel of src/keys; each module here adds its export line.
export {};
