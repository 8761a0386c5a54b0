using MLNetAdam.Numerics;

namespace MLNetAdam.Data;

/// <summary>A stratified, seeded hold-out of the training rows, for validation when no validation set is given.</summary>
internal static class ValidationSplit
{
    /// <summary>
    /// Splits <paramref name="data"/>: from each class, a seeded random <paramref name="fraction"/> of its rows (rounded,
    /// at least one when the class has two or more rows, and never all of them) goes to the validation set, the rest
    /// to training; both keep the data's order. The same seed and data always give the same split.
    /// </summary>
    public static (TrainingData Train, TrainingData Validation) Split(TrainingData data, double fraction, int seed)
    {
        var random = new SeededRandom(seed);
        var byClass = new List<int>[data.ClassCount];
        for (int c = 0; c < byClass.Length; c++)
            byClass[c] = new List<int>();
        for (int r = 0; r < data.RowCount; r++)
            byClass[data.Labels[r]].Add(r);

        var held = new bool[data.RowCount];
        foreach (var rows in byClass)
        {
            int take = (int)Math.Round(fraction * rows.Count, MidpointRounding.AwayFromZero);
            if (rows.Count >= 2)
                take = Math.Clamp(take, 1, rows.Count - 1);
            else
                take = 0;
            // A partial Fisher–Yates shuffle picks `take` rows of the class.
            var ids = rows.ToArray();
            for (int i = 0; i < take; i++)
            {
                int j = i + random.NextInt(ids.Length - i);
                (ids[i], ids[j]) = (ids[j], ids[i]);
                held[ids[i]] = true;
            }
        }
        var train = new List<int>();
        var validation = new List<int>();
        for (int r = 0; r < data.RowCount; r++)
            (held[r] ? validation : train).Add(r);
        if (validation.Count == 0)
            throw new InvalidOperationException(
                $"A validation fraction of {fraction} holds out no rows of these {data.RowCount} training rows (each class needs at least two rows); use a larger ValidationFraction or pass a validation set.");
        return (data.Subset(train), data.Subset(validation));
    }
}
