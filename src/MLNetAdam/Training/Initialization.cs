using MLNetAdam.Model;
using MLNetAdam.Numerics;

namespace MLNetAdam.Training;

/// <summary>The starting weights of a fresh network.</summary>
internal static class Initialization
{
    /// <summary>
    /// Uniform weights from <paramref name="random"/>: each hidden layer with the bound its activation gives for the
    /// chosen scheme (see <see cref="Activation.InitializationBound"/>), the softmax layer Glorot; biases zero. Layers
    /// are filled in order, each matrix row by row.
    /// </summary>
    public static float[] Weights(ParameterLayout layout, MlpActivation activation, WeightInitialization scheme, SeededRandom random)
    {
        var parameters = new float[layout.ParameterCount];
        var hiddenActivation = Activation.For(activation);
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int fanIn = layout.InputsOf(l), fanOut = layout.OutputsOf(l);
            bool hidden = l < layout.LayerCount - 1;
            double bound = hidden ? hiddenActivation.InitializationBound(fanIn, fanOut, scheme == WeightInitialization.He) : Math.Sqrt(6.0 / (fanIn + fanOut));
            var weights = layout.Weights(parameters.AsSpan(), l);
            for (int i = 0; i < weights.Length; i++)
                weights[i] = (float)((2 * random.NextDouble() - 1) * bound);
        }
        return parameters;
    }
}
