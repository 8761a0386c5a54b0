using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetAdam.Data;

/// <summary>
/// Checks the training columns and reads the usable rows of an <see cref="IDataView"/> once into a <see cref="TrainingData"/>.
/// Rows with a missing label, a NaN or infinite feature, or a negative or NaN weight are skipped and counted.
/// </summary>
internal static class TrainingDataLoader
{
    /// <summary>At most this fraction of non-zero features makes automatic storage choose sparse rows.</summary>
    public const double SparseDensity = 0.05;

    /// <summary>The label column: must exist and be a key type with at least two values.</summary>
    public static DataViewSchema.Column CheckLabel(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"Label column '{name}' was not found in the data. Set Options.LabelColumnName to the label column.", nameof(schema));
        if (column.Type is not KeyDataViewType key)
            throw new ArgumentException(
                $"Label column '{name}' has type {column.Type}, but AdamMlpTrainer needs a key type. Add mlContext.Transforms.Conversion.MapValueToKey(\"{name}\") before the trainer.",
                nameof(schema));
        if (key.Count < 2 || key.Count > int.MaxValue)
            throw new ArgumentException($"Label column '{name}' is a key with {key.Count} values; a classifier needs between 2 and {int.MaxValue} classes.", nameof(schema));
        return column;
    }

    /// <summary>The feature column: must exist and be a known-size vector of Single.</summary>
    public static DataViewSchema.Column CheckFeatures(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"Feature column '{name}' was not found in the data. Set Options.FeatureColumnName, or build it with mlContext.Transforms.Concatenate(\"{name}\", ...).", nameof(schema));
        CheckFeatureType(name, column.Type);
        return column;
    }

    /// <summary>Throws unless <paramref name="type"/> is a known-size vector of Single.</summary>
    public static void CheckFeatureType(string name, DataViewType type)
    {
        if (type is not VectorDataViewType vector)
            throw new ArgumentException($"Feature column '{name}' has type {type}, but a vector of Single is needed. Use mlContext.Transforms.Concatenate(\"{name}\", ...) to make one.");
        if (vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Feature column '{name}' is a vector of {vector.ItemType}, but a vector of Single is needed. Convert it with mlContext.Transforms.Conversion.ConvertType.");
        if (!vector.IsKnownSize)
            throw new ArgumentException($"Feature column '{name}' is a vector of variable size; a vector of known size is needed.");
    }

    /// <summary>The optional weight column: must be a Single scalar.</summary>
    public static DataViewSchema.Column? CheckWeight(DataViewSchema schema, string? name)
    {
        if (name is null)
            return null;
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"Example weight column '{name}' was not found in the data.", nameof(schema));
        if (column.Type != NumberDataViewType.Single)
            throw new ArgumentException($"Example weight column '{name}' has type {column.Type}, but Single is needed.", nameof(schema));
        return column;
    }

    /// <summary>Reads the usable rows. <paramref name="skipped"/> counts the rows left out.</summary>
    public static TrainingData Load(
        IDataView data, DataViewSchema.Column label, DataViewSchema.Column features, DataViewSchema.Column? weight,
        AdamMlpTrainer.FeatureStorage storage, out long skipped)
    {
        int featureCount = ((VectorDataViewType)features.Type).Size;
        int classCount = (int)((KeyDataViewType)label.Type).Count;
        var columns = weight is null ? new[] { label, features } : new[] { label, features, weight.Value };

        var labels = new List<int>();
        var rowStart = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        List<float>? weights = weight is null ? null : new List<float>();
        skipped = 0;

        using (var cursor = data.GetRowCursor(columns))
        {
            var labelGetter = KeyGetter(cursor, label);
            var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
            var weightGetter = weight is null ? null : cursor.GetGetter<float>(weight.Value);
            VBuffer<float> buffer = default;
            uint key = 0;
            float w = 1;
            while (cursor.MoveNext())
            {
                labelGetter(ref key);
                if (key == 0 || key > classCount)
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
                var rowValues = buffer.GetValues();
                bool finite = true;
                foreach (float v in rowValues)
                {
                    if (!float.IsFinite(v))
                    {
                        finite = false;
                        break;
                    }
                }
                if (!finite)
                {
                    skipped++;
                    continue;
                }

                // Keep only the non-zero values, whatever the vector's own representation.
                var rowIndices = buffer.GetIndices();
                for (int t = 0; t < rowValues.Length; t++)
                {
                    if (rowValues[t] != 0f)
                    {
                        indices.Add(buffer.IsDense ? t : rowIndices[t]);
                        values.Add(rowValues[t]);
                    }
                }
                rowStart.Add(values.Count);
                labels.Add((int)key - 1);
                weights?.Add(w);
            }
        }

        int rows = labels.Count;
        bool sparse = storage switch
        {
            AdamMlpTrainer.FeatureStorage.Dense => false,
            AdamMlpTrainer.FeatureStorage.Sparse => true,
            _ => rows > 0 && values.Count <= SparseDensity * rows * (double)featureCount,
        };
        if (sparse)
            return TrainingData.FromSparse(rowStart.ToArray(), indices.ToArray(), values.ToArray(), featureCount, classCount, labels.ToArray(), weights?.ToArray());

        long denseLength = (long)rows * featureCount;
        if (denseLength > Array.MaxLength)
            throw new InvalidOperationException($"The training data has {rows} rows × {featureCount} features, more than one dense array can hold ({Array.MaxLength} values).");
        var dense = new float[denseLength];
        for (int r = 0; r < rows; r++)
            for (int t = rowStart[r]; t < rowStart[r + 1]; t++)
                dense[(long)r * featureCount + indices[t]] = values[t];
        return TrainingData.FromDense(dense, featureCount, classCount, labels.ToArray(), weights?.ToArray());
    }

    /// <summary>A getter that reads a key column of any unsigned raw type as <see cref="uint"/> (0 = missing).</summary>
    private static ValueGetter<uint> KeyGetter(DataViewRow row, DataViewSchema.Column column)
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
