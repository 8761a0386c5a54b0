using MLNetAdam.Data;

namespace MLNetAdam.Model;

/// <summary>
/// Moves a regression target standardization <c>y' = (y − m) / s</c> into and out of the last layer: a network
/// trained to predict <c>y'</c>, <c>z = W h + b</c>, predicts <c>y</c> as <c>(s·W) h + (s·b + m)</c>. The trainer folds
/// when it returns a model (so scores are in the label's units) and unfolds a model it warm-starts from.
/// </summary>
internal static class OutputScaling
{
    /// <summary>The label-unit parameters of a network trained on <paramref name="scaling"/>'s standardized targets.</summary>
    public static float[] Fold(ParameterLayout layout, ReadOnlySpan<float> parameters, TargetScaling scaling) =>
        Map(layout, parameters, w => w * scaling.Scale, b => b * scaling.Scale + scaling.Mean);

    /// <summary>The standardized-target parameters equivalent to label-unit <paramref name="parameters"/> (the inverse of <see cref="Fold"/>).</summary>
    public static float[] Unfold(ParameterLayout layout, ReadOnlySpan<float> parameters, TargetScaling scaling) =>
        Map(layout, parameters, w => w / scaling.Scale, b => (b - scaling.Mean) / scaling.Scale);

    private static float[] Map(ParameterLayout layout, ReadOnlySpan<float> parameters, Func<double, double> weight, Func<double, double> bias)
    {
        var mapped = parameters.ToArray();
        int last = layout.LayerCount - 1;
        foreach (ref float w in layout.Weights(mapped.AsSpan(), last))
            w = (float)weight(w);
        foreach (ref float b in layout.Biases(mapped.AsSpan(), last))
            b = (float)bias(b);
        return mapped;
    }
}
