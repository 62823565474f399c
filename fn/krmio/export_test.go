package krmio

// KyamlWrite is kyaml's writer, the reference the writer tests compare
// WriteResourceList with.
var KyamlWrite = kyamlWrite
