using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Data;

/// <summary>
/// The one set of column rules, applied both to a <see cref="SchemaShape"/> (the estimator's <c>GetOutputSchema</c>,
/// before any data is read) and to a <see cref="DataViewSchema"/> (<c>Fit</c> and scoring). Each rule names the column,
/// what was found, what is needed and the transform that fixes it; every error is an <see cref="ArgumentException"/>.
/// </summary>
internal static class ColumnChecks
{
    /// <summary>What the rules need to know of a column, from either kind of schema.</summary>
    /// <param name="Name">The column's name.</param>
    /// <param name="TypeName">Its type as users see it, for messages.</param>
    /// <param name="Kind">Scalar, vector of known size, or vector of variable size.</param>
    /// <param name="ItemType">The type of its items (of the column itself for a scalar).</param>
    /// <param name="IsKey">Whether it is a key type.</param>
    /// <param name="KeyCount">The key's number of values, when known.</param>
    internal readonly record struct Column(string Name, string TypeName, SchemaShape.Column.VectorKind Kind, DataViewType ItemType, bool IsKey, ulong? KeyCount);

    /// <summary>Describes a column of a <see cref="SchemaShape"/>; null when there is none of that name (the last one of a name wins).</summary>
    public static Column? Find(SchemaShape shape, string name)
    {
        Column? found = null;
        foreach (var c in shape)
        {
            if (c.Name == name)
            {
                string? kind = c.Kind switch
                {
                    SchemaShape.Column.VectorKind.Vector => $"Vector<{c.ItemType}>",
                    SchemaShape.Column.VectorKind.VariableVector => $"Vector<{c.ItemType}, variable size>",
                    _ => c.ItemType.ToString() ?? string.Empty,
                };
                found = new Column(c.Name, c.IsKey ? $"Key<{c.ItemType}>" : kind ?? string.Empty, c.Kind, c.ItemType, c.IsKey, null);
            }
        }
        return found;
    }

    /// <summary>Describes a column of a <see cref="DataViewSchema"/>; null when there is none of that name.</summary>
    public static Column? Find(DataViewSchema schema, string name)
    {
        if (schema.GetColumnOrNull(name) is not { } c)
            return null;
        var type = c.Type;
        var kind = type is VectorDataViewType vector
            ? (vector.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector)
            : SchemaShape.Column.VectorKind.Scalar;
        var item = type is VectorDataViewType v ? v.ItemType : type;
        return new Column(c.Name, type.ToString() ?? string.Empty, kind, item, type is KeyDataViewType, (type as KeyDataViewType)?.Count);
    }

    /// <summary>
    /// The label, as <paramref name="trainer"/> needs it: present and scalar; a key with 2 to <see cref="int.MaxValue"/>
    /// values (when the count is known) for <see cref="LabelKind.Key"/>, a <see cref="bool"/> for
    /// <see cref="LabelKind.Boolean"/>, a <see cref="float"/> for <see cref="LabelKind.Single"/>.
    /// </summary>
    public static void Label(Column? column, string name, LabelKind kind = LabelKind.Key, string trainer = "AdamMlpTrainer")
    {
        if (column is not { } c)
            throw new ArgumentException($"Label column '{name}' was not found in the data. Set Options.LabelColumnName to the label column.");
        bool scalar = c.Kind == SchemaShape.Column.VectorKind.Scalar;
        switch (kind)
        {
            case LabelKind.Key:
                if (!c.IsKey || !scalar)
                    throw new ArgumentException(
                        $"Label column '{name}' has type {c.TypeName}, but {trainer} needs a key type. Add mlContext.Transforms.Conversion.MapValueToKey(\"{name}\") before the trainer.");
                if (c.KeyCount is ulong count && (count < 2 || count > int.MaxValue))
                    throw new ArgumentException($"Label column '{name}' is a key with {count} values; a classifier needs between 2 and {int.MaxValue} classes.");
                break;
            case LabelKind.Boolean:
                if (c.IsKey || !scalar || c.ItemType != BooleanDataViewType.Instance)
                    throw new ArgumentException(
                        $"Label column '{name}' has type {c.TypeName}, but {trainer} needs a Boolean label (true for the positive class). "
                        + "Load the column as Boolean (DataKind.Boolean, or a bool field), or derive one, e.g. mlContext.Transforms.CustomMapping; for more than two classes use AdamMlpTrainer (multiclass).");
                break;
            default:
                if (c.IsKey || !scalar || c.ItemType != NumberDataViewType.Single)
                    throw new ArgumentException(
                        $"Label column '{name}' has type {c.TypeName}, but {trainer} needs a Single label (the numeric target). "
                        + (c.IsKey || c.ItemType is TextDataViewType || !scalar
                            ? "Load the column as Single (DataKind.Single, or a float field)."
                            : $"Convert it with mlContext.Transforms.Conversion.ConvertType(\"{name}\", outputKind: DataKind.Single)."));
                break;
        }
    }

    /// <summary>The features: present, a vector of known size, of <see cref="float"/>.</summary>
    public static void Features(Column? column, string name)
    {
        if (column is not { } c)
            throw new ArgumentException($"Feature column '{name}' was not found in the data. Set Options.FeatureColumnName, or build it with mlContext.Transforms.Concatenate(\"{name}\", ...).");
        if (c.Kind == SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentException($"Feature column '{name}' has type {c.TypeName}, but a vector of Single is needed. Use mlContext.Transforms.Concatenate(\"{name}\", ...) to make one.");
        if (c.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Feature column '{name}' is a vector of {c.ItemType}, but a vector of Single is needed. Convert it with mlContext.Transforms.Conversion.ConvertType.");
        if (c.Kind == SchemaShape.Column.VectorKind.VariableVector)
            throw new ArgumentException($"Feature column '{name}' is a vector of variable size; a vector of known size is needed.");
    }

    /// <summary>The optional example weight: absent (no name) or a <see cref="float"/> scalar.</summary>
    public static void Weight(Column? column, string? name)
    {
        if (name is null)
            return;
        if (column is not { } c)
            throw new ArgumentException($"Example weight column '{name}' was not found in the data.");
        if (c.Kind != SchemaShape.Column.VectorKind.Scalar || c.IsKey || c.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Example weight column '{name}' has type {c.TypeName}, but Single is needed.");
    }

    /// <summary>Checks the label of <paramref name="schema"/> and returns it.</summary>
    public static DataViewSchema.Column Label(DataViewSchema schema, string name, LabelKind kind = LabelKind.Key, string trainer = "AdamMlpTrainer")
    {
        Label(Find(schema, name), name, kind, trainer);
        return schema[name];
    }

    /// <summary>Checks the features of <paramref name="schema"/> and returns them.</summary>
    public static DataViewSchema.Column Features(DataViewSchema schema, string name)
    {
        Features(Find(schema, name), name);
        return schema[name];
    }

    /// <summary>Checks the optional weight of <paramref name="schema"/> and returns it (null without a name).</summary>
    public static DataViewSchema.Column? Weight(DataViewSchema schema, string? name)
    {
        if (name is null)
            return null;
        Weight(Find(schema, name), name);
        return schema[name];
    }
}
