namespace MLNetAdam.Data;

/// <summary>
/// Per-feature scaling, <c>x' = (x − Shift) · Factor</c>, computed from the training rows: dense features are
/// centered and divided by their standard deviation (population, as scikit-learn's <c>StandardScaler</c>); sparse
/// features are divided by their largest absolute value (scikit-learn's <c>MaxAbsScaler</c>, its scaler for sparse
/// data), so zeros stay zeros and values land in [−1, 1]; a constant feature is left alone (shift 0, factor 1).
/// (Dividing sparse features by their standard deviation instead multiplies rare ones by hundreds: on the text bench
/// it cost 10 points of accuracy.)
/// The trainer learns on scaled features and folds the map into the first layer when it returns the model.
/// </summary>
internal sealed class FeatureScaling
{
    /// <summary>A feature whose standard deviation is at most this fraction of its magnitude counts as constant.</summary>
    private const double ConstantTolerance = 1e-6;

    private FeatureScaling(float[] shift, float[] factor)
    {
        Shift = shift;
        Factor = factor;
    }

    /// <summary>What is subtracted from each feature (zeros when not centering).</summary>
    public float[] Shift { get; }

    /// <summary>What each feature is then multiplied by (1 / standard deviation, or 1).</summary>
    public float[] Factor { get; }

    /// <summary>A scaling from stored arrays (a checkpoint's).</summary>
    public static FeatureScaling FromArrays(float[] shift, float[] factor)
    {
        if (shift.Length != factor.Length)
            throw new ArgumentException($"The scaling has {shift.Length} shifts and {factor.Length} factors.", nameof(factor));
        return new FeatureScaling(shift, factor);
    }

    /// <summary>Accumulates the statistics one row at a time (in memory or while streaming).</summary>
    public sealed class Accumulator(int featureCount)
    {
        // Sums of (x − K) and (x − K)² in double, with K the first row's value: exact enough even when the mean is
        // large against the spread. Sparse rows use K = 0 (their zeros are not visited).
        private readonly double[] _reference = new double[featureCount];
        private readonly double[] _sum = new double[featureCount];
        private readonly double[] _squares = new double[featureCount];
        private readonly double[] _maxAbs = new double[featureCount];
        private long _rows;

        /// <summary>Adds a dense row.</summary>
        public void AddDense(ReadOnlySpan<float> row)
        {
            if (_rows == 0)
                for (int i = 0; i < row.Length; i++)
                    _reference[i] = row[i];
            for (int i = 0; i < row.Length; i++)
            {
                double d = row[i] - _reference[i];
                _sum[i] += d;
                _squares[i] += d * d;
            }
            _rows++;
        }

        /// <summary>Adds a sparse row given by its stored indices and values.</summary>
        public void AddSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
        {
            for (int t = 0; t < indices.Length; t++)
            {
                double v = values[t];
                _sum[indices[t]] += v;
                _squares[indices[t]] += v * v;
                _maxAbs[indices[t]] = Math.Max(_maxAbs[indices[t]], Math.Abs(v));
            }
            _rows++;
        }

        /// <summary>Adds a row stored sparse that arrived as a dense vector (the same sums as its non-zeros alone).</summary>
        public void AddDenseAsSparse(ReadOnlySpan<float> values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double v = values[i];
                _sum[i] += v;
                _squares[i] += v * v;
                _maxAbs[i] = Math.Max(_maxAbs[i], Math.Abs(v));
            }
            _rows++;
        }

        /// <summary>The scaling: standardization when <paramref name="center"/> (dense), max-abs scaling otherwise (sparse).</summary>
        public FeatureScaling ToScaling(bool center)
        {
            int n = _sum.Length;
            var shift = new float[n];
            var factor = new float[n];
            for (int i = 0; i < n; i++)
            {
                double meanOffset = _rows > 0 ? _sum[i] / _rows : 0;
                double variance = _rows > 0 ? Math.Max(0, _squares[i] / _rows - meanOffset * meanOffset) : 0;
                double mean = _reference[i] + meanOffset;
                double std = Math.Sqrt(variance);
                if (!(std > ConstantTolerance * Math.Max(1, Math.Abs(mean))))
                {
                    factor[i] = 1;
                    continue;
                }
                if (center)
                {
                    shift[i] = (float)mean;
                    factor[i] = (float)(1 / std);
                }
                else
                {
                    factor[i] = (float)(1 / _maxAbs[i]);
                }
            }
            return new FeatureScaling(shift, factor);
        }
    }

    /// <summary>The scaling of <paramref name="data"/>'s rows: centered when dense, not when sparse.</summary>
    public static FeatureScaling Of(TrainingData data)
    {
        var accumulator = new Accumulator(data.FeatureCount);
        for (int r = 0; r < data.RowCount; r++)
        {
            if (data.IsSparse)
                accumulator.AddSparse(data.Indices.AsSpan(data.RowStart![r], data.RowStart[r + 1] - data.RowStart[r]), data.Values.AsSpan(data.RowStart[r], data.RowStart[r + 1] - data.RowStart[r]));
            else
                accumulator.AddDense(data.DenseRow(r));
        }
        return accumulator.ToScaling(center: !data.IsSparse);
    }

    /// <summary>
    /// The scaling of rows spread over several ranks (each holding <paramref name="data"/>, its shard), exact whatever
    /// the split: the row count and sums are added up first, then the squared deviations from the common mean, so every
    /// rank computes the same scaling. <paramref name="sum"/> and <paramref name="max"/> add up and maximize over the ranks.
    /// </summary>
    public static FeatureScaling OfShards(TrainingData data, Action<Span<double>> sum, Action<Span<double>> max)
    {
        int n = data.FeatureCount;
        var totals = new double[n + 1];
        var deviations = new double[n];
        var maxAbs = new double[n];
        for (int r = 0; r < data.RowCount; r++)
            ForEachValue(data, r, (i, v) =>
            {
                totals[i] += v;
                maxAbs[i] = Math.Max(maxAbs[i], Math.Abs(v));
            });
        totals[n] = data.RowCount;
        sum(totals);
        max(maxAbs);
        double rows = totals[n];
        var mean = new double[n];
        for (int i = 0; i < n; i++)
            mean[i] = rows > 0 ? totals[i] / rows : 0;
        // Σ (x − mean)² over all rows, zeros included: a sparse row's zeros each add mean².
        for (int r = 0; r < data.RowCount; r++)
        {
            if (data.IsSparse)
            {
                for (int i = 0; i < n; i++)
                    deviations[i] += mean[i] * mean[i];
                for (int t = data.RowStart![r]; t < data.RowStart[r + 1]; t++)
                {
                    int i = data.Indices![t];
                    double v = data.Values![t];
                    deviations[i] += (v - mean[i]) * (v - mean[i]) - mean[i] * mean[i];
                }
            }
            else
            {
                var row = data.DenseRow(r);
                for (int i = 0; i < n; i++)
                    deviations[i] += (row[i] - mean[i]) * (row[i] - mean[i]);
            }
        }
        sum(deviations);
        var shift = new float[n];
        var factor = new float[n];
        for (int i = 0; i < n; i++)
        {
            double std = rows > 0 ? Math.Sqrt(Math.Max(0, deviations[i] / rows)) : 0;
            if (!(std > ConstantTolerance * Math.Max(1, Math.Abs(mean[i]))))
            {
                factor[i] = 1;
                continue;
            }
            if (data.IsSparse)
            {
                factor[i] = (float)(1 / maxAbs[i]);
            }
            else
            {
                shift[i] = (float)mean[i];
                factor[i] = (float)(1 / std);
            }
        }
        return new FeatureScaling(shift, factor);
    }

    private static void ForEachValue(TrainingData data, int row, Action<int, double> visit)
    {
        if (data.IsSparse)
        {
            for (int t = data.RowStart![row]; t < data.RowStart[row + 1]; t++)
                visit(data.Indices![t], data.Values![t]);
        }
        else
        {
            var values = data.DenseRow(row);
            for (int i = 0; i < values.Length; i++)
                visit(i, values[i]);
        }
    }

    /// <summary>Scales every row of <paramref name="data"/> in place.</summary>
    public void Apply(TrainingData data)
    {
        if (data.IsSparse)
        {
            var values = data.Values!;
            var indices = data.Indices!;
            int used = data.RowStart![data.RowCount];
            for (int t = 0; t < used; t++)
                values[t] = (values[t] - Shift[indices[t]]) * Factor[indices[t]];
            return;
        }
        for (int r = 0; r < data.RowCount; r++)
            ApplyDense(data.MutableDenseRow(r));
    }

    /// <summary>Scales one dense row in place.</summary>
    public void ApplyDense(Span<float> row)
    {
        for (int i = 0; i < row.Length; i++)
            row[i] = (row[i] - Shift[i]) * Factor[i];
    }

    /// <summary>Scales one stored value of feature <paramref name="index"/>.</summary>
    public float Apply(int index, float value) => (value - Shift[index]) * Factor[index];
}
