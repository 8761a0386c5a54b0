using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetAdam.Data;

/// <summary>
/// Reads the usable rows of an <see cref="IDataView"/> (whose columns <see cref="ColumnChecks"/> has checked) once into a <see cref="TrainingData"/>.
/// Rows with a missing label (or a NaN target), a NaN or infinite feature, or a negative or NaN weight are skipped and counted.
/// </summary>
internal static class TrainingDataLoader
{
    /// <summary>Reads the usable rows. <paramref name="skipped"/> counts the rows left out.</summary>
    public static TrainingData Load(
        IDataView data, TrainingLabel label, DataViewSchema.Column features, DataViewSchema.Column? weight,
        FeatureStorage storage, out long skipped)
    {
        int featureCount = ((VectorDataViewType)features.Type).Size;
        int classCount = label.ClassCount;
        var columns = weight is null ? new[] { label.Column, features } : new[] { label.Column, features, weight.Value };

        var labels = new List<int>();
        List<float>? targets = label.HasTargets ? new List<float>() : null;
        List<float>? weights = weight is null ? null : new List<float>();
        RowStore? store = null;
        skipped = 0;

        using (var cursor = data.GetRowCursor(columns))
        {
            var labelGetter = label.CreateGetter(cursor);
            var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
            var weightGetter = weight is null ? null : cursor.GetGetter<float>(weight.Value);
            VBuffer<float> buffer = default;
            float w = 1;
            while (cursor.MoveNext())
            {
                if (!labelGetter(out int classIndex, out float target))
                {
                    skipped++;
                    continue;
                }
                if (weightGetter is not null)
                {
                    weightGetter(ref w);
                    if (!(w >= 0) || float.IsInfinity(w))
                    {
                        skipped++;
                        continue;
                    }
                }
                featureGetter(ref buffer);
                if (buffer.Length != featureCount)
                    throw new InvalidOperationException($"Feature column '{features.Name}' holds a vector of {buffer.Length} values in row {cursor.Position}, but its type says {featureCount}.");
                if (!AllFinite(buffer.GetValues()))
                {
                    skipped++;
                    continue;
                }

                // The first usable row decides the storage: vectors that arrive sparse stay sparse.
                store ??= storage == FeatureStorage.Sparse || (storage == FeatureStorage.Auto && !buffer.IsDense)
                    ? new SparseStore()
                    : new DenseStore(featureCount);
                store.Add(buffer);
                labels.Add(classIndex);
                targets?.Add(target);
                weights?.Add(w);
            }
        }

        store ??= new DenseStore(featureCount);
        var rows = store.Build(featureCount, classCount, labels.ToArray(), weights?.ToArray());
        return targets is null ? rows : rows.WithTargets(targets.ToArray());
    }

    /// <summary>Whether a row with a usable label can be trained on: a finite non-negative weight, finite features.</summary>
    public static bool Usable(float weight, in VBuffer<float> features) =>
        weight >= 0 && !float.IsInfinity(weight) && AllFinite(features.GetValues());

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v))
                return false;
        return true;
    }

    /// <summary>Collects the feature vectors of the usable rows.</summary>
    private abstract class RowStore
    {
        public abstract void Add(in VBuffer<float> row);

        public abstract TrainingData Build(int featureCount, int classCount, int[] labels, float[]? weights);
    }

    /// <summary>Whole rows in chunks of about 4 MB: the data is held once, never copied into a larger array.</summary>
    private sealed class DenseStore(int featureCount) : RowStore
    {
        private readonly int _rowsPerChunk = Math.Max(1, (1 << 20) / Math.Max(1, featureCount));
        private readonly List<float[]> _chunks = new();
        private int _rows;

        public override void Add(in VBuffer<float> row)
        {
            int inChunk = _rows % _rowsPerChunk;
            if (inChunk == 0)
                _chunks.Add(new float[(long)_rowsPerChunk * featureCount]);
            row.CopyTo(_chunks[^1].AsSpan(inChunk * featureCount, featureCount));
            _rows++;
        }

        public override TrainingData Build(int features, int classCount, int[] labels, float[]? weights) =>
            TrainingData.FromDenseChunks(_chunks.ToArray(), _rowsPerChunk, features, classCount, labels, weights);
    }

    /// <summary>Compressed sparse rows: only the non-zero values and their indices.</summary>
    private sealed class SparseStore : RowStore
    {
        private readonly List<int> _rowStart = [0];
        private readonly List<int> _indices = new();
        private readonly List<float> _values = new();

        public override void Add(in VBuffer<float> row)
        {
            var values = row.GetValues();
            var indices = row.GetIndices();
            for (int t = 0; t < values.Length; t++)
            {
                if (values[t] != 0f)
                {
                    _indices.Add(row.IsDense ? t : indices[t]);
                    _values.Add(values[t]);
                }
            }
            _rowStart.Add(_values.Count);
        }

        public override TrainingData Build(int featureCount, int classCount, int[] labels, float[]? weights) =>
            TrainingData.FromSparse(_rowStart.ToArray(), _indices.ToArray(), _values.ToArray(), featureCount, classCount, labels, weights);
    }

    /// <summary>A getter that reads a key column of any unsigned raw type as <see cref="uint"/> (0 = missing).</summary>
    public static ValueGetter<uint> KeyGetter(DataViewRow row, DataViewSchema.Column column)
    {
        Type raw = column.Type.RawType;
        if (raw == typeof(uint))
            return row.GetGetter<uint>(column);
        if (raw == typeof(byte))
        {
            var g = row.GetGetter<byte>(column);
            byte v = 0;
            return (ref uint dst) => { g(ref v); dst = v; };
        }
        if (raw == typeof(ushort))
        {
            var g = row.GetGetter<ushort>(column);
            ushort v = 0;
            return (ref uint dst) => { g(ref v); dst = v; };
        }
        if (raw == typeof(ulong))
        {
            var g = row.GetGetter<ulong>(column);
            ulong v = 0;
            return (ref uint dst) => { g(ref v); dst = v > uint.MaxValue ? 0 : (uint)v; };
        }
        throw new ArgumentException($"Label column '{column.Name}' has an unsupported key type {column.Type}.");
    }
}
