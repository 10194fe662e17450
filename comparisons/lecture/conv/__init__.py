"""The lecture's δ carried into a convolutional network: one 6×6 digit worked by hand, in English and Japanese."""
