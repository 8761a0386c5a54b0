using MLNetAdam.Numerics.Kernels;

namespace MLNetAdam.Data;

/// <summary>
/// The usable training rows, read once: features either dense (rows × features, row-major, in one array or in
/// chunks of whole rows, so that no single array limits the data size and loading never copies it) or compressed
/// sparse rows, the 0-based class of each row and optional example weights.
/// </summary>
internal sealed class TrainingData
{
    private TrainingData(int featureCount, int classCount, int[] labels, float[]? weights)
    {
        FeatureCount = featureCount;
        ClassCount = classCount;
        Labels = labels;
        Weights = weights;
        double total = 0;
        if (weights is null)
            total = labels.Length;
        else
            foreach (float w in weights)
                total += w;
        TotalWeight = total;
    }

    /// <summary>Builds dense data: <paramref name="features"/> holds labels.Length × featureCount values.</summary>
    public static TrainingData FromDense(float[] features, int featureCount, int classCount, int[] labels, float[]? weights)
    {
        if (features.Length != (long)labels.Length * featureCount)
            throw new ArgumentException("Feature array length does not match rows × features.", nameof(features));
        return new TrainingData(featureCount, classCount, labels, weights) { Dense = features };
    }

    /// <summary>Builds dense data stored in chunks of <paramref name="rowsPerChunk"/> whole rows (the last chunk may be partly used).</summary>
    public static TrainingData FromDenseChunks(float[][] chunks, int rowsPerChunk, int featureCount, int classCount, int[] labels, float[]? weights)
    {
        if (rowsPerChunk <= 0 || (long)chunks.Length * rowsPerChunk < labels.Length || chunks.Any(c => c.Length != rowsPerChunk * featureCount))
            throw new ArgumentException("Chunks do not hold the rows.", nameof(chunks));
        return new TrainingData(featureCount, classCount, labels, weights) { Chunks = chunks, RowsPerChunk = rowsPerChunk };
    }

    /// <summary>
    /// A reusable mini-batch buffer for streamed rows: <paramref name="capacity"/> rows whose labels, weights and
    /// features are rewritten in place for every batch (dense: one row-major array; sparse: CSR arrays whose
    /// <c>indices</c>/<c>values</c> may be longer than the rows use).
    /// </summary>
    public static TrainingData Buffer(int capacity, int featureCount, int classCount, bool sparse, bool weighted, int sparseCapacity = 0, bool targets = false) =>
        sparse
            ? new TrainingData(featureCount, classCount, new int[capacity], weighted ? new float[capacity] : null)
            {
                RowStart = new int[capacity + 1],
                Indices = new int[sparseCapacity],
                Values = new float[sparseCapacity],
                Targets = targets ? new float[capacity] : null,
            }
            : new TrainingData(featureCount, classCount, new int[capacity], weighted ? new float[capacity] : null)
            {
                Dense = new float[(long)capacity * featureCount],
                Targets = targets ? new float[capacity] : null,
            };

    /// <summary>Builds sparse data from CSR arrays (<paramref name="rowStart"/> has labels.Length + 1 entries).</summary>
    public static TrainingData FromSparse(int[] rowStart, int[] indices, float[] values, int featureCount, int classCount, int[] labels, float[]? weights)
    {
        if (rowStart.Length != labels.Length + 1 || indices.Length != values.Length || rowStart[^1] != values.Length)
            throw new ArgumentException("Inconsistent CSR arrays.", nameof(rowStart));
        return new TrainingData(featureCount, classCount, labels, weights) { RowStart = rowStart, Indices = indices, Values = values };
    }

    /// <summary>Number of rows.</summary>
    public int RowCount => Labels.Length;

    /// <summary>Number of features (the input size of the network).</summary>
    public int FeatureCount { get; }

    /// <summary>Number of classes (the output size of the network).</summary>
    public int ClassCount { get; }

    /// <summary>0-based class of each row.</summary>
    public int[] Labels { get; }

    /// <summary>The numeric target of each row for a regression head, or null for classification (<see cref="Labels"/>).</summary>
    public float[]? Targets { get; private init; }

    /// <summary>Example weight of each row, or null when every row weighs 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Sum of the example weights.</summary>
    public double TotalWeight { get; }

    /// <summary>Row-major features when stored dense; otherwise null.</summary>
    public float[]? Dense { get; private init; }

    /// <summary>CSR row starts when stored sparse; otherwise null.</summary>
    public int[]? RowStart { get; private init; }

    /// <summary>CSR column indices when stored sparse; otherwise null.</summary>
    public int[]? Indices { get; private init; }

    /// <summary>CSR values when stored sparse; otherwise null.</summary>
    public float[]? Values { get; private init; }

    /// <summary>Dense rows in chunks (when built by <see cref="FromDenseChunks"/>); otherwise null.</summary>
    private float[][]? Chunks { get; init; }

    private int RowsPerChunk { get; init; }

    /// <summary>The features of row <paramref name="id"/> when stored dense.</summary>
    public ReadOnlySpan<float> DenseRow(int id) => MutableDenseRow(id);

    /// <summary>The features of row <paramref name="id"/> when stored dense, writable (for scaling in place).</summary>
    public Span<float> MutableDenseRow(int id)
    {
        if (Dense is not null)
            return Dense.AsSpan(id * FeatureCount, FeatureCount);
        if (Chunks is null)
            throw new InvalidOperationException("The rows are stored sparse.");
        (int chunk, int row) = Math.DivRem(id, RowsPerChunk);
        return Chunks[chunk].AsSpan(row * FeatureCount, FeatureCount);
    }

    /// <summary>The same rows and features with numeric regression targets (one per row). The features are shared, not copied.</summary>
    public TrainingData WithTargets(float[] targets)
    {
        if (targets.Length != RowCount)
            throw new ArgumentException($"Expected {RowCount} targets; got {targets.Length}.", nameof(targets));
        return SharingFeatures(Weights, targets);
    }

    /// <summary>The same rows and features with other example weights (null: every row weighs 1). The features are shared, not copied.</summary>
    public TrainingData WithWeights(float[]? weights)
    {
        if (weights is not null && weights.Length != RowCount)
            throw new ArgumentException($"Expected {RowCount} weights; got {weights.Length}.", nameof(weights));
        return SharingFeatures(weights, Targets);
    }

    // The same labels and feature storage with these weights and targets.
    private TrainingData SharingFeatures(float[]? weights, float[]? targets) =>
        new(FeatureCount, ClassCount, Labels, weights)
        {
            Dense = Dense,
            Chunks = Chunks,
            RowsPerChunk = RowsPerChunk,
            RowStart = RowStart,
            Indices = Indices,
            Values = Values,
            Targets = targets,
        };

    /// <summary>A copy of the rows <paramref name="ids"/>, in that order, with the same storage kind.</summary>
    public TrainingData Subset(IReadOnlyList<int> ids)
    {
        var labels = new int[ids.Count];
        float[]? weights = Weights is null ? null : new float[ids.Count];
        for (int r = 0; r < ids.Count; r++)
        {
            labels[r] = Labels[ids[r]];
            if (weights is not null)
                weights[r] = Weights![ids[r]];
        }
        if (IsSparse)
        {
            var starts = new int[ids.Count + 1];
            for (int r = 0; r < ids.Count; r++)
                starts[r + 1] = starts[r] + RowStart![ids[r] + 1] - RowStart[ids[r]];
            var indices = new int[starts[^1]];
            var values = new float[starts[^1]];
            for (int r = 0; r < ids.Count; r++)
            {
                int from = RowStart![ids[r]], length = starts[r + 1] - starts[r];
                Array.Copy(Indices!, from, indices, starts[r], length);
                Array.Copy(Values!, from, values, starts[r], length);
            }
            return WithSubsetTargets(FromSparse(starts, indices, values, FeatureCount, ClassCount, labels, weights), ids);
        }
        var dense = new float[(long)ids.Count * FeatureCount];
        for (int r = 0; r < ids.Count; r++)
            DenseRow(ids[r]).CopyTo(dense.AsSpan(r * FeatureCount, FeatureCount));
        return WithSubsetTargets(FromDense(dense, FeatureCount, ClassCount, labels, weights), ids);
    }

    private TrainingData WithSubsetTargets(TrainingData subset, IReadOnlyList<int> ids) =>
        Targets is null ? subset : subset.WithTargets(ids.Select(id => Targets[id]).ToArray());

    /// <summary>Whether the features are stored in CSR form.</summary>
    public bool IsSparse => RowStart is not null;

    /// <summary>The rows <paramref name="rowIds"/> of the sparse storage.</summary>
    public SparseRows SparseView(ReadOnlySpan<int> rowIds) => new(RowStart!, Indices!, Values!, rowIds);

    /// <summary>Returns the same rows with the other storage (dense ↔ sparse); used to compare the two kernels.</summary>
    public TrainingData WithOtherStorage()
    {
        if (IsSparse)
        {
            var dense = new float[(long)RowCount * FeatureCount];
            for (int r = 0; r < RowCount; r++)
                for (int t = RowStart![r]; t < RowStart[r + 1]; t++)
                    dense[(long)r * FeatureCount + Indices![t]] = Values![t];
            return FromDense(dense, FeatureCount, ClassCount, Labels, Weights);
        }

        var starts = new int[RowCount + 1];
        var idx = new List<int>();
        var val = new List<float>();
        for (int r = 0; r < RowCount; r++)
        {
            for (int c = 0; c < FeatureCount; c++)
            {
                float v = DenseRow(r)[c];
                if (v != 0f)
                {
                    idx.Add(c);
                    val.Add(v);
                }
            }
            starts[r + 1] = idx.Count;
        }
        return FromSparse(starts, idx.ToArray(), val.ToArray(), FeatureCount, ClassCount, Labels, Weights);
    }
}
