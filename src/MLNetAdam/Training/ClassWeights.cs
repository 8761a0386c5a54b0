namespace MLNetAdam.Training;

/// <summary>
/// Weights per class that multiply each training row's example weight (the example-weight column's value, or 1),
/// so that rare classes count more in the loss. Assign one to <see cref="AdamMlpTrainer.Options.ClassWeights"/> or
/// <see cref="AdamMlpBinaryTrainer.Options.ClassWeights"/> (whose classes are "False" and "True").
/// Validation metrics are not weighted by class.
/// </summary>
public sealed class ClassWeights
{
    private ClassWeights(IReadOnlyDictionary<string, float>? weights) => Weights = weights;

    /// <summary>
    /// Each class weighs <c>rows / (classes × rows of that class)</c> over the usable training rows, as scikit-learn's
    /// <c>class_weight="balanced"</c>: every class then carries the same total weight.
    /// </summary>
    public static ClassWeights Balanced { get; } = new(null);

    /// <summary>Explicit weights keyed by the label's values as text (the label's key values, e.g. "cat"); a class not listed weighs 1.</summary>
    /// <param name="weights">Finite, non-negative weight per label value.</param>
    public static ClassWeights Explicit(IReadOnlyDictionary<string, float> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var (label, weight) in weights)
        {
            if (!(weight >= 0) || !float.IsFinite(weight))
                throw new ArgumentOutOfRangeException(nameof(weights), weight, $"ClassWeights: the weight of class '{label}' must be a finite number ≥ 0; got {weight}.");
        }
        return new ClassWeights(new Dictionary<string, float>(weights));
    }

    /// <summary>For a binary label: the positive class ("True") weighs <paramref name="weight"/>, the negative class 1 (as XGBoost's <c>scale_pos_weight</c>).</summary>
    /// <param name="weight">Finite, non-negative weight of the rows whose label is true.</param>
    public static ClassWeights PositiveClass(float weight) => Explicit(new Dictionary<string, float> { ["True"] = weight });

    /// <summary>The explicit weights, or null for <see cref="Balanced"/>.</summary>
    internal IReadOnlyDictionary<string, float>? Weights { get; }

    /// <summary>
    /// The weight of each class (0-based, in key order) given the training rows' class counts; throws when an explicit
    /// weight names a class the label does not have.
    /// </summary>
    internal float[] For(string[] classNames, long[] counts)
    {
        var result = new float[classNames.Length];
        if (Weights is null)
        {
            long rows = counts.Sum();
            int present = counts.Count(c => c > 0);
            for (int c = 0; c < result.Length; c++)
                result[c] = counts[c] > 0 ? (float)((double)rows / ((double)present * counts[c])) : 0f;
            return result;
        }
        foreach (string label in Weights.Keys)
        {
            if (Array.IndexOf(classNames, label) < 0)
                throw new ArgumentException($"ClassWeights names class '{label}', which the label does not have (its classes are {string.Join(", ", classNames)}).");
        }
        for (int c = 0; c < result.Length; c++)
            result[c] = Weights.TryGetValue(classNames[c], out float w) ? w : 1f;
        return result;
    }
}
