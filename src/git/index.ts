// Barrel of src/git; each module here adds its export line.
export {};
