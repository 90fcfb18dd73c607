// The activation baseline: the least an extension can do.
exports.activate = () => {};
