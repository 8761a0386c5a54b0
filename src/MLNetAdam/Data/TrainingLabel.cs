using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Data;

/// <summary>What a trainer's label column holds.</summary>
internal enum LabelKind
{
    /// <summary>A key: one class per key value (multiclass).</summary>
    Key = 0,

    /// <summary>A <see cref="bool"/>: class 1 for true, 0 for false (binary).</summary>
    Boolean = 1,

    /// <summary>A <see cref="float"/>: a numeric target (regression).</summary>
    Single = 2,
}

/// <summary>The checked label column of a training data view and how its values become classes or targets.</summary>
/// <param name="Column">The label column.</param>
/// <param name="Kind">What it holds.</param>
internal sealed record TrainingLabel(DataViewSchema.Column Column, LabelKind Kind)
{
    /// <summary>Reads one row's label; false when the row has none (key 0 or out of range, a NaN or infinite target).</summary>
    public delegate bool Getter(out int label, out float target);

    /// <summary>Classes of the label: the key's count, 2 for a Boolean, 1 for a numeric target.</summary>
    public int ClassCount => Kind switch
    {
        LabelKind.Key => (int)((KeyDataViewType)Column.Type).Count,
        LabelKind.Boolean => 2,
        _ => 1,
    };

    /// <summary>Whether rows carry numeric targets rather than classes.</summary>
    public bool HasTargets => Kind == LabelKind.Single;

    /// <summary>A getter of the label of <paramref name="row"/>'s current row.</summary>
    public Getter CreateGetter(DataViewRow row)
    {
        switch (Kind)
        {
            case LabelKind.Key:
            {
                var keys = TrainingDataLoader.KeyGetter(row, Column);
                int classes = ClassCount;
                uint key = 0;
                return (out int label, out float target) =>
                {
                    keys(ref key);
                    label = (int)key - 1;
                    target = 0;
                    return key != 0 && key <= classes;
                };
            }
            case LabelKind.Boolean:
            {
                var flags = row.GetGetter<bool>(Column);
                bool flag = false;
                return (out int label, out float target) =>
                {
                    flags(ref flag);
                    label = flag ? 1 : 0;
                    target = 0;
                    return true;
                };
            }
            default:
            {
                var values = row.GetGetter<float>(Column);
                float value = 0;
                return (out int label, out float target) =>
                {
                    values(ref value);
                    label = 0;
                    target = value;
                    return float.IsFinite(value);
                };
            }
        }
    }
}
