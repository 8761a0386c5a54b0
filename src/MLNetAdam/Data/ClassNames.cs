using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Data;

/// <summary>Reads a key column's values (its <c>KeyValues</c> annotation) as text, whatever their item type.</summary>
internal static class ClassNames
{
    /// <summary>The text of each key value of <paramref name="label"/>, or "0", "1", ... when it has none.</summary>
    public static string[] Read(DataViewSchema.Column label, int classCount)
    {
        var names = new string[classCount];
        var keyValues = label.Annotations.Schema.GetColumnOrNull(AnnotationKinds.KeyValues);
        if (keyValues?.Type is VectorDataViewType vector && vector.Size == classCount)
        {
            var read = typeof(ClassNames).GetMethod(nameof(ReadTyped), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(vector.ItemType.RawType);
            read.Invoke(null, [label.Annotations, names]);
            return names;
        }
        for (int c = 0; c < classCount; c++)
            names[c] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return names;
    }

    private static void ReadTyped<T>(DataViewSchema.Annotations annotations, string[] names)
    {
        VBuffer<T> values = default;
        annotations.GetValue(AnnotationKinds.KeyValues, ref values);
        int c = 0;
        foreach (var value in values.DenseValues())
        {
            if (c < names.Length)
                names[c] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            c++;
        }
    }
}
