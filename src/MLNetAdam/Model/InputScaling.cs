using MLNetAdam.Data;

namespace MLNetAdam.Model;

/// <summary>
/// Moves a feature scaling <c>x' = (x − s) · f</c> into and out of the first layer: a network trained on scaled
/// features, <c>z = W x' + b</c>, equals <c>z = (W·diag(f)) x + (b − W·diag(f)·s)</c> on raw features. The trainer
/// folds when it returns a model (so scoring, ONNX and saving all take raw features) and unfolds a raw-feature model
/// it warm-starts from. Sums are in double; each weight is rounded to float once.
/// </summary>
internal static class InputScaling
{
    /// <summary>The raw-feature parameters of a network trained on <paramref name="scaling"/>'s scaled features.</summary>
    public static float[] Fold(ParameterLayout layout, ReadOnlySpan<float> parameters, FeatureScaling scaling)
    {
        var folded = parameters.ToArray();
        int inputs = layout.InputsOf(0), outputs = layout.OutputsOf(0);
        var w = layout.Weights(parameters, 0);
        var b = layout.Biases(parameters, 0);
        var foldedW = layout.Weights(folded.AsSpan(), 0);
        var foldedB = layout.Biases(folded.AsSpan(), 0);
        for (int j = 0; j < outputs; j++)
        {
            double bias = b[j];
            for (int i = 0; i < inputs; i++)
            {
                double scaled = (double)w[j * inputs + i] * scaling.Factor[i];
                foldedW[j * inputs + i] = (float)scaled;
                bias -= scaled * scaling.Shift[i];
            }
            foldedB[j] = (float)bias;
        }
        return folded;
    }

    /// <summary>The scaled-feature parameters equivalent to raw-feature <paramref name="parameters"/> (the inverse of <see cref="Fold"/>).</summary>
    public static float[] Unfold(ParameterLayout layout, ReadOnlySpan<float> parameters, FeatureScaling scaling)
    {
        var unfolded = parameters.ToArray();
        int inputs = layout.InputsOf(0), outputs = layout.OutputsOf(0);
        var w = layout.Weights(parameters, 0);
        var b = layout.Biases(parameters, 0);
        var unfoldedW = layout.Weights(unfolded.AsSpan(), 0);
        var unfoldedB = layout.Biases(unfolded.AsSpan(), 0);
        for (int j = 0; j < outputs; j++)
        {
            double bias = b[j];
            for (int i = 0; i < inputs; i++)
            {
                bias += (double)w[j * inputs + i] * scaling.Shift[i];
                unfoldedW[j * inputs + i] = (float)((double)w[j * inputs + i] / scaling.Factor[i]);
            }
            unfoldedB[j] = (float)bias;
        }
        return unfolded;
    }
}
