using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Tests.Training;

/// <summary>One row of the UCI optical digits data set (64 pixels 0..16, label 0..9).</summary>
public sealed class Digit
{
    [LoadColumn(0, 63)]
    [VectorType(64)]
    public float[] Pixels { get; set; } = [];

    [LoadColumn(64)]
    public float Label { get; set; }
}

/// <summary>Prediction read back after MapKeyToValue.</summary>
public sealed class DigitPrediction
{
    public float PredictedLabel { get; set; }

    public float[] Score { get; set; } = [];
}

/// <summary>Loads the digits data shipped in TestData (decompressed once per process).</summary>
public static class Digits
{
    private static readonly Lazy<string> CsvPath = new(() =>
    {
        string gz = Path.Combine(AppContext.BaseDirectory, "TestData", "digits.csv.gz");
        string csv = Path.Combine(Path.GetTempPath(), $"mlnetadam-digits-{Environment.ProcessId}.csv");
        using (var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        using (var output = File.Create(csv))
            input.CopyTo(output);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(csv);
        return csv;
    });

    public static IDataView Load(MLContext ml) => ml.Data.LoadFromTextFile<Digit>(CsvPath.Value, separatorChar: ',');

    /// <summary>A seeded 80/20 split.</summary>
    public static DataOperationsCatalog.TrainTestData Split(MLContext ml, int seed) => ml.Data.TrainTestSplit(Load(ml), testFraction: 0.2, seed: seed);
}
