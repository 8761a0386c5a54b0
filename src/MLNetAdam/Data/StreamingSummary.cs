using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Data;

/// <summary>
/// One pass over a streamed view before training, for what in-memory rows give directly: the class counts of the
/// usable rows (for balanced class weights) and the feature statistics (for the scaling). Allocates only its sums.
/// </summary>
internal sealed class StreamingSummary
{
    private StreamingSummary(long[] classCounts, FeatureScaling scaling, TargetScaling? targets)
    {
        ClassCounts = classCounts;
        Scaling = scaling;
        Targets = targets;
    }

    /// <summary>Usable rows per class (0-based).</summary>
    public long[] ClassCounts { get; }

    /// <summary>The feature scaling of the usable rows (not centered when <c>sparse</c>).</summary>
    public FeatureScaling Scaling { get; }

    /// <summary>The standardization of the usable rows' targets (regression labels); null for classes.</summary>
    public TargetScaling? Targets { get; }

    /// <summary>Reads every row once; rows the trainer would skip are skipped here too.</summary>
    public static StreamingSummary Read(IDataView view, TrainingLabel label, DataViewSchema.Column features, DataViewSchema.Column? weight, bool sparse)
    {
        int featureCount = ((VectorDataViewType)features.Type).Size;
        var counts = new long[label.ClassCount];
        var statistics = new FeatureScaling.Accumulator(featureCount);
        var targets = label.HasTargets ? new TargetScaling.Accumulator() : null;
        var columns = weight is null ? new[] { label.Column, features } : new[] { label.Column, features, weight.Value };
        using var cursor = view.GetRowCursor(columns);
        var labelGetter = label.CreateGetter(cursor);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
        var weightGetter = weight is null ? null : cursor.GetGetter<float>(weight.Value);
        VBuffer<float> row = default;
        var dense = new float[sparse ? 0 : featureCount];
        float w = 1;
        while (cursor.MoveNext())
        {
            bool labelled = labelGetter(out int classIndex, out float target);
            weightGetter?.Invoke(ref w);
            featureGetter(ref row);
            if (row.Length != featureCount)
                throw new InvalidOperationException($"Feature column '{features.Name}' holds {row.Length} values in row {cursor.Position}; its type says {featureCount}.");
            if (!labelled || !TrainingDataLoader.Usable(w, row))
                continue;
            counts[classIndex]++;
            targets?.Add(target);
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
        return new StreamingSummary(counts, statistics.ToScaling(center: !sparse), targets?.ToScaling());
    }
}
