using Microsoft.ML.Data;

namespace Classification;

// The columns the prediction engine reads back from the model.
public sealed class DigitPrediction
{
    // The predicted digit, turned back from a key into the original label value by MapKeyToValue.
    [ColumnName("PredictedLabel")]
    public float PredictedLabel { get; set; }

    // The probability of each class, in the order of the label's keys (0 to 9 here).
    [ColumnName("Score")]
    public float[] Score { get; set; } = [];
}
