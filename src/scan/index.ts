// Barrel of src/scan; each module here adds its export line.
export {};
