// Barrel of src/agent; each module here adds its export line.
export {};
