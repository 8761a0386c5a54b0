namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// A network as the ONNX files store it, in plain data: the layer sizes (inputs, hidden widths, classes), the hidden
/// activation's name, the flat parameter vector (per layer the [out][in] weights, then the biases), the class names and
/// the task's name (<see cref="Multiclass"/>, <see cref="Binary"/> or <see cref="Regression"/>).
/// </summary>
internal sealed record OnnxNetwork(int[] LayerSizes, string Activation, float[] Parameters, string[] ClassNames, string Task = OnnxNetwork.Multiclass)
{
    /// <summary>The task name of a softmax classifier (also assumed when a file records none).</summary>
    public const string Multiclass = "MulticlassClassification";

    /// <summary>The task name of a one-logit binary classifier.</summary>
    public const string Binary = "BinaryClassification";

    /// <summary>The task name of a one-output regressor.</summary>
    public const string Regression = "Regression";

    /// <summary>Whether the last layer is followed by softmax.</summary>
    public bool IsMulticlass => Task == Multiclass;

    /// <summary>Number of fully connected layers.</summary>
    public int LayerCount => LayerSizes.Length - 1;

    /// <summary>Offset of layer <paramref name="layer"/>'s weights in <see cref="Parameters"/> (its biases follow them).</summary>
    public int WeightOffset(int layer)
    {
        long offset = 0;
        for (int l = 0; l < layer; l++)
            offset += ((long)LayerSizes[l] + 1) * LayerSizes[l + 1];
        return checked((int)offset);
    }

    /// <summary>The weights of layer <paramref name="layer"/>, [out][in] row-major.</summary>
    public ReadOnlySpan<float> Weights(int layer) => Parameters.AsSpan(WeightOffset(layer), LayerSizes[layer] * LayerSizes[layer + 1]);

    /// <summary>The biases of layer <paramref name="layer"/>.</summary>
    public ReadOnlySpan<float> Biases(int layer) => Parameters.AsSpan(WeightOffset(layer) + LayerSizes[layer] * LayerSizes[layer + 1], LayerSizes[layer + 1]);

    /// <summary>Length of the flat parameter vector for <paramref name="sizes"/>.</summary>
    public static long ParameterCount(IReadOnlyList<int> sizes)
    {
        long count = 0;
        for (int l = 0; l + 1 < sizes.Count; l++)
            count += ((long)sizes[l] + 1) * sizes[l + 1];
        return count;
    }
}

/// <summary>
/// Adds the nodes of a hidden activation from tensor <paramref name="input"/> to tensor <paramref name="output"/>
/// (supplied by the activation table, which owns each activation's ONNX form and constants).
/// </summary>
internal delegate void OnnxActivationWriter(OnnxGraphBuilder graph, string input, string output);
