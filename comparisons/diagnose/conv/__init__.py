"""`deltacheck diagnose` for a student's convolution and pooling backward, in CS231n's and ゼロから作る's styles."""
