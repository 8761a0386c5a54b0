using Microsoft.ML.Data;

namespace Classification;

// One row of digits.csv: an 8x8 image of a handwritten digit (64 pixel intensities from 0 to 16,
// row by row), then the digit it shows (0 to 9).
public sealed class Digit
{
    [LoadColumn(0, 63)]
    [VectorType(64)]
    public float[] Pixels { get; set; } = [];

    [LoadColumn(64)]
    public float Label { get; set; }
}
