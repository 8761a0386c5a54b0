using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Numerics;

namespace MLNetAdam.Data;

/// <summary>
/// Mini-batches streamed from the data view every epoch, never materializing it: rows pass through a seeded shuffle
/// buffer of <c>bufferSize</c> rows (each new row replaces a randomly chosen buffered row, which joins the batch), so
/// memory stays bounded whatever the data size. The order is therefore only locally shuffled: a row can move at most
/// about a buffer's length away from its place in the data. All buffers are reused, so steady-state streaming allocates nothing.
/// </summary>
internal sealed class StreamingBatches : IBatchSource
{
    private readonly IDataView _view;
    private readonly DataViewSchema.Column[] _columns;
    private readonly TrainingLabel _label;
    private readonly DataViewSchema.Column _features;
    private readonly DataViewSchema.Column? _weight;
    private readonly int _featureCount, _classCount;
    private readonly VBuffer<float>[] _slotFeatures;
    private readonly int[] _slotLabels;
    private readonly float[] _slotWeights;
    private readonly float[] _slotTargets;
    private readonly TargetScaling? _targetScaling;
    private readonly int[] _identity;
    private readonly bool _sparse;
    private readonly FeatureScaling? _scaling;
    private readonly float[]? _classWeights;
    private TrainingData _batch;
    private DataViewRowCursor? _cursor;
    private TrainingLabel.Getter? _labelGetter;
    private ValueGetter<VBuffer<float>>? _featureGetter;
    private ValueGetter<float>? _weightGetter;
    private SeededRandom? _random;
    private bool _shuffle;
    private int _filled;
    private bool _exhausted;

    public StreamingBatches(IDataView view, TrainingLabel label, DataViewSchema.Column features, DataViewSchema.Column? weight,
        int batchSize, int bufferSize, bool sparse, FeatureScaling? scaling = null, float[]? classWeights = null, TargetScaling? targetScaling = null)
    {
        int classCount = label.ClassCount;
        _targetScaling = targetScaling;
        _scaling = scaling;
        _classWeights = classWeights;
        _view = view;
        _label = label;
        _features = features;
        _weight = weight;
        _columns = weight is null ? [label.Column, features] : [label.Column, features, weight.Value];
        _featureCount = ((VectorDataViewType)features.Type).Size;
        _classCount = classCount;
        _sparse = sparse;
        long? rows = view.GetRowCount();
        // A batch never holds more rows than the data has, so a huge BatchSize allocates no more than the data.
        BatchSize = rows is long known && known > 0 ? (int)Math.Min(batchSize, known) : batchSize;
        batchSize = BatchSize;
        StepsPerEpoch = rows is long n && n > 0 ? (int)Math.Min(int.MaxValue, (n + batchSize - 1) / batchSize) : 1;
        int slots = Math.Max(1, bufferSize);
        _slotFeatures = new VBuffer<float>[slots];
        _slotLabels = new int[slots];
        _slotWeights = new float[slots];
        _slotTargets = new float[label.HasTargets ? slots : 0];
        _identity = Enumerable.Range(0, batchSize).ToArray();
        _batch = TrainingData.Buffer(batchSize, _featureCount, classCount, sparse, weight is not null || classWeights is not null, sparseCapacity: sparse ? batchSize * 16 : 0, targets: label.HasTargets);
    }

    public int BatchSize { get; }

    public int StepsPerEpoch { get; private set; }

    public int[] Order => [];

    /// <summary>Usable rows read in the last completed epoch.</summary>
    public long RowsRead { get; private set; }

    /// <summary>Rows skipped (missing label, bad feature or weight) in the last epoch.</summary>
    public long Skipped { get; private set; }

    public void StartEpoch(SeededRandom random, bool shuffle)
    {
        _cursor?.Dispose();
        _cursor = _view.GetRowCursor(_columns);
        _labelGetter = _label.CreateGetter(_cursor);
        _featureGetter = _cursor.GetGetter<VBuffer<float>>(_features);
        _weightGetter = _weight is null ? null : _cursor.GetGetter<float>(_weight.Value);
        _random = random;
        _shuffle = shuffle;
        _exhausted = false;
        RowsRead = 0;
        Skipped = 0;
        _filled = 0;
        if (shuffle)
            while (_filled < _slotFeatures.Length && ReadRow(_filled))
                _filled++;
    }

    public bool Next(out TrainingData data, out ReadOnlySpan<int> rows)
    {
        int count = 0;
        int used = 0;
        while (count < BatchSize && TakeRow(count, ref used))
            count++;
        data = _batch;
        rows = _identity.AsSpan(0, count);
        if (count == 0 && RowsRead > 0)
            StepsPerEpoch = (int)Math.Min(int.MaxValue, (RowsRead + BatchSize - 1) / BatchSize);
        return count > 0;
    }

    public void Dispose() => _cursor?.Dispose();

    // Puts one row into batch position r: a random buffered row (then refilled from the stream), or, without
    // shuffling, simply the next row of the stream.
    private bool TakeRow(int r, ref int used)
    {
        int slot;
        if (!_shuffle)
        {
            if (!ReadRow(0))
                return false;
            slot = 0;
            CopyToBatch(slot, r, ref used);
            return true;
        }
        if (_filled == 0)
            return false;
        slot = _random!.NextInt(_filled);
        CopyToBatch(slot, r, ref used);
        if (_exhausted || !ReadRow(slot))
        {
            // The stream is done: close the gap with the last buffered row.
            _filled--;
            if (slot != _filled)
            {
                (_slotFeatures[slot], _slotFeatures[_filled]) = (_slotFeatures[_filled], _slotFeatures[slot]);
                _slotLabels[slot] = _slotLabels[_filled];
                _slotWeights[slot] = _slotWeights[_filled];
                if (_slotTargets.Length > 0)
                    _slotTargets[slot] = _slotTargets[_filled];
            }
        }
        return true;
    }

    // Reads the next usable row of the stream into a slot; false at the end of the data.
    private bool ReadRow(int slot)
    {
        if (_exhausted)
            return false;
        float weight = 1;
        while (_cursor!.MoveNext())
        {
            bool labelled = _labelGetter!(out int classIndex, out float target);
            _weightGetter?.Invoke(ref weight);
            _featureGetter!(ref _slotFeatures[slot]);
            if (_slotFeatures[slot].Length != _featureCount)
                throw new InvalidOperationException($"Feature column '{_features.Name}' holds {_slotFeatures[slot].Length} values in row {_cursor.Position}; its type says {_featureCount}.");
            if (!labelled || !TrainingDataLoader.Usable(weight, _slotFeatures[slot]))
            {
                Skipped++;
                continue;
            }
            _slotLabels[slot] = classIndex;
            _slotWeights[slot] = _classWeights is null ? weight : weight * _classWeights[classIndex];
            if (_slotTargets.Length > 0)
                _slotTargets[slot] = _targetScaling?.Apply(target) ?? target;
            RowsRead++;
            return true;
        }
        _exhausted = true;
        return false;
    }

    private void CopyToBatch(int slot, int r, ref int used)
    {
        _batch.Labels[r] = _slotLabels[slot];
        if (_batch.Targets is not null)
            _batch.Targets[r] = _slotTargets[slot];
        if (_batch.Weights is not null)
            _batch.Weights[r] = _slotWeights[slot];
        ref var features = ref _slotFeatures[slot];
        if (!_sparse)
        {
            var row = _batch.Dense.AsSpan(r * _featureCount, _featureCount);
            features.CopyTo(row);
            _scaling?.ApplyDense(row);
            return;
        }

        // CSR: append the row's non-zeros, growing the buffer (rarely, and only while warming up) when they do not fit.
        var values = features.GetValues();
        var indices = features.GetIndices();
        if (used + values.Length > _batch.Values!.Length)
            Grow(used + values.Length, r);
        var batchIndices = _batch.Indices!;
        var batchValues = _batch.Values!;
        for (int t = 0; t < values.Length; t++)
        {
            if (values[t] == 0f)
                continue;
            int index = features.IsDense ? t : indices[t];
            batchIndices[used] = index;
            batchValues[used] = _scaling is null ? values[t] : _scaling.Apply(index, values[t]);
            used++;
        }
        _batch.RowStart![r + 1] = used;
    }

    private void Grow(int needed, int rowsSoFar)
    {
        var bigger = TrainingData.Buffer(BatchSize, _featureCount, _classCount, sparse: true, _batch.Weights is not null, Math.Max(needed, 2 * _batch.Values!.Length), _batch.Targets is not null);
        _batch.Labels.AsSpan(0, rowsSoFar + 1).CopyTo(bigger.Labels);
        _batch.Weights?.AsSpan(0, rowsSoFar + 1).CopyTo(bigger.Weights);
        _batch.Targets?.AsSpan(0, rowsSoFar + 1).CopyTo(bigger.Targets);
        _batch.RowStart.AsSpan(0, rowsSoFar + 1).CopyTo(bigger.RowStart);
        int used = _batch.RowStart![rowsSoFar];
        _batch.Indices.AsSpan(0, used).CopyTo(bigger.Indices);
        _batch.Values.AsSpan(0, used).CopyTo(bigger.Values);
        _batch = bigger;
    }
}
