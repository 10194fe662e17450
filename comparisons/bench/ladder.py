"""The bench's default step sizes (SIZES, K), from the lecture's network to GEMM-bound layers: light, for --help."""

LADDER = [((12, 3, 2), 64), ((784, 100, 10), 64), ((784, 512, 512, 10), 256), ((1024, 1024, 1024, 1024), 512)]
