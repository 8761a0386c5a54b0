using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Tests.Training;

public sealed class TextLabelRow
{
    public string Label { get; set; } = "";

    [VectorType(4)]
    public float[] Features { get; set; } = [];

    public float Weight { get; set; } = 1f;
}

public sealed class NumericLabelRow
{
    public float Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

public sealed class BinaryLabelRow
{
    public bool Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

public sealed class SparseRow
{
    public uint Label { get; set; }

    [VectorType(SyntheticData.SparseWidth)]
    public VBuffer<float> Features { get; set; }
}

public sealed class DenseWideRow
{
    public uint Label { get; set; }

    [VectorType(SyntheticData.SparseWidth)]
    public float[] Features { get; set; } = [];
}

/// <summary>Small seeded data sets with known structure.</summary>
public static class SyntheticData
{
    public const int SparseWidth = 60;

    public static readonly string[] Animals = ["cat", "dog", "bird"];

    /// <summary>Three well-separated Gaussian blobs in 4-D labelled with text.</summary>
    public static List<TextLabelRow> Blobs(int rowsPerClass, int seed)
    {
        var random = new Random(seed);
        var rows = new List<TextLabelRow>();
        for (int i = 0; i < rowsPerClass; i++)
        {
            for (int c = 0; c < Animals.Length; c++)
            {
                var x = new float[4];
                for (int d = 0; d < 4; d++)
                    x[d] = (float)((d == c ? 3.0 : 0.0) + Gaussian(random));
                rows.Add(new TextLabelRow { Label = Animals[c], Features = x, Weight = 1f });
            }
        }
        return rows;
    }

    /// <summary>The same blobs with numeric labels 3, 7 and 11.</summary>
    public static List<NumericLabelRow> NumericBlobs(int rowsPerClass, int seed) =>
        Blobs(rowsPerClass, seed).Select(r => new NumericLabelRow { Label = 3 + 4 * Array.IndexOf(Animals, r.Label), Features = r.Features }).ToList();

    /// <summary>
    /// Two overlapping classes in 4-D: the label is whether <c>x0 + x1·x2 − x3 + noise</c> is above 0.3, so a network
    /// separates them better than a line but no model is perfect.
    /// </summary>
    public static List<BinaryLabelRow> BinaryBlobs(int rows, int seed)
    {
        var random = new Random(seed);
        var result = new List<BinaryLabelRow>();
        for (int r = 0; r < rows; r++)
        {
            var x = new float[4];
            for (int d = 0; d < 4; d++)
                x[d] = (float)Gaussian(random);
            result.Add(new BinaryLabelRow { Label = x[0] + x[1] * x[2] - x[3] + 0.3 * Gaussian(random) > 0.3, Features = x });
        }
        return result;
    }

    /// <summary>
    /// A smooth regression target in the hundreds: <c>150 + 40·sin(x0) + 25·x1·x2 + 10·x3 + noise</c> (σ 5), far from
    /// zero and unit scale, so an unstandardized network would train badly.
    /// </summary>
    public static List<NumericLabelRow> RegressionRows(int rows, int seed)
    {
        var random = new Random(seed);
        var result = new List<NumericLabelRow>();
        for (int r = 0; r < rows; r++)
        {
            var x = new float[4];
            for (int d = 0; d < 4; d++)
                x[d] = (float)Gaussian(random);
            double y = 150 + 40 * Math.Sin(x[0]) + 25 * x[1] * x[2] + 10 * x[3] + 5 * Gaussian(random);
            result.Add(new NumericLabelRow { Label = (float)y, Features = x });
        }
        return result;
    }

    /// <summary>Rows of <see cref="SparseWidth"/> features with 3 non-zeros each; the class is decided by which block they fall in.</summary>
    public static List<SparseRow> Sparse(int rows, int seed)
    {
        var random = new Random(seed);
        var result = new List<SparseRow>();
        for (int r = 0; r < rows; r++)
        {
            int label = random.Next(3);
            var indices = new SortedSet<int>();
            while (indices.Count < 3)
                indices.Add(label * 20 + random.Next(20));
            if (random.Next(4) == 0)
            {
                indices.Remove(indices.Max);
                indices.Add(random.Next(SparseWidth));
            }
            var idx = indices.ToArray();
            var values = idx.Select(_ => (float)(0.5 + random.NextDouble())).ToArray();
            result.Add(new SparseRow { Label = (uint)label + 1, Features = new VBuffer<float>(SparseWidth, idx.Length, values, idx) });
        }
        return result;
    }

    public static List<DenseWideRow> Densify(IEnumerable<SparseRow> rows) =>
        rows.Select(r => new DenseWideRow { Label = r.Label, Features = r.Features.DenseValues().ToArray() }).ToList();

    /// <summary>Converts the uint labels (1..3) of <see cref="SparseRow"/>/<see cref="DenseWideRow"/> into a key column.</summary>
    public static IDataView KeyLabels(MLContext ml, IDataView data) =>
        ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data).Transform(data);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
