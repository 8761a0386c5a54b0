using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Data;

/// <summary>
/// One pass over a streamed view before training, for what in-memory rows give directly: the class counts of the
/// usable rows (for balanced class weights) and the feature statistics (for the scaling). Allocates only its sums.
/// </summary>
internal sealed class StreamingSummary
{
    private StreamingSummary(long[] classCounts, FeatureScaling scaling)
    {
        ClassCounts = classCounts;
        Scaling = scaling;
    }

    /// <summary>Usable rows per class (0-based).</summary>
    public long[] ClassCounts { get; }

    /// <summary>The feature scaling of the usable rows (not centered when <c>sparse</c>).</summary>
    public FeatureScaling Scaling { get; }

    /// <summary>Reads every row once; rows the trainer would skip are skipped here too.</summary>
    public static StreamingSummary Read(IDataView view, DataViewSchema.Column label, DataViewSchema.Column features, DataViewSchema.Column? weight, int classCount, bool sparse)
    {
        int featureCount = ((VectorDataViewType)features.Type).Size;
        var counts = new long[classCount];
        var statistics = new FeatureScaling.Accumulator(featureCount);
        var columns = weight is null ? new[] { label, features } : new[] { label, features, weight.Value };
        using var cursor = view.GetRowCursor(columns);
        var labelGetter = TrainingDataLoader.KeyGetter(cursor, label);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
        var weightGetter = weight is null ? null : cursor.GetGetter<float>(weight.Value);
        VBuffer<float> row = default;
        var dense = new float[sparse ? 0 : featureCount];
        uint key = 0;
        float w = 1;
        while (cursor.MoveNext())
        {
            labelGetter(ref key);
            weightGetter?.Invoke(ref w);
            featureGetter(ref row);
            if (row.Length != featureCount)
                throw new InvalidOperationException($"Feature column '{features.Name}' holds {row.Length} values in row {cursor.Position}; its type says {featureCount}.");
            if (!TrainingDataLoader.Usable(key, classCount, w, row))
                continue;
            counts[key - 1]++;
            if (sparse)
            {
                if (row.IsDense)
                    statistics.AddDenseAsSparse(row.GetValues());
                else
                    statistics.AddSparse(row.GetIndices(), row.GetValues());
            }
            else
            {
                row.CopyTo(dense);
                statistics.AddDense(dense);
            }
        }
        return new StreamingSummary(counts, statistics.ToScaling(center: !sparse));
    }
}
