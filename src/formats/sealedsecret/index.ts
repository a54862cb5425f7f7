// Barrel of src/formats/sealedsecret; each module here adds its export line.
export {};
