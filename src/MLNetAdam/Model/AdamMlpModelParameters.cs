using MLNetAdam.Model.Onnx;
using MLNetAdam.Numerics.Kernels;
using MLNetAdam.Trainer;

namespace MLNetAdam.Model;

/// <summary>
/// A trained softmax MLP: layer sizes, activation, weights and biases (read-only), the class names and the
/// training history. Layer <c>l</c> computes <c>x · Wᵀ + b</c> with <c>W</c> stored [out][in]; hidden layers apply
/// <see cref="Activation"/>, the last layer is followed by softmax.
/// </summary>
public sealed class AdamMlpModelParameters
{
    private readonly float[] _parameters;

    /// <summary>
    /// Reads a network from an ONNX file written by <see cref="AdamMlpTransformer.ExportToOnnx(string)"/> (IR version 7,
    /// operator set 13): layer sizes, activation, class names and the exact weights and biases. The training history is
    /// not stored, so <see cref="TrainingHistory"/> is empty.
    /// </summary>
    /// <param name="path">The ONNX file.</param>
    /// <exception cref="InvalidDataException">
    /// The file is not an ONNX model written by MLNetAdam, or it was truncated or modified (a checksum covers every
    /// byte); the message says what is wrong.
    /// </exception>
    public static AdamMlpModelParameters LoadFromOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return LoadFromOnnx(stream);
    }

    /// <summary>
    /// Reads a network from an ONNX model written by <see cref="AdamMlpTransformer.ExportToOnnx(Stream)"/> (IR version 7,
    /// operator set 13), from the stream's current position to its end. The training history is not stored, so
    /// <see cref="TrainingHistory"/> is empty.
    /// </summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <exception cref="InvalidDataException">
    /// The data is not an ONNX model written by MLNetAdam, or it was truncated or modified; the message says what is wrong.
    /// </exception>
    public static AdamMlpModelParameters LoadFromOnnx(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return OnnxModelReader.Read(stream).ToModel();
    }

    /// <summary>
    /// Recovers the network from a model file saved with <c>mlContext.Model.Save</c> whose pipeline contains one
    /// <see cref="AdamMlpTransformer"/> (the saved file embeds the network as an ONNX model with MLNetAdam's
    /// metadata). The training history is not stored, so <see cref="TrainingHistory"/> is empty.
    /// </summary>
    /// <param name="path">The saved model (.zip).</param>
    /// <exception cref="InvalidDataException">
    /// The file is not a saved ML.NET model, holds no MLNetAdam network or more than one, or the network's data is
    /// corrupt; the message says which.
    /// </exception>
    public static AdamMlpModelParameters LoadFromSavedModel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return LoadFromSavedModel(stream);
    }

    /// <summary>
    /// Recovers the network from a model saved with <c>mlContext.Model.Save</c> whose pipeline contains one
    /// <see cref="AdamMlpTransformer"/>. The training history is not stored, so <see cref="TrainingHistory"/> is empty.
    /// </summary>
    /// <param name="stream">A readable stream holding the saved model; left open.</param>
    /// <exception cref="InvalidDataException">
    /// The data is not a saved ML.NET model, holds no MLNetAdam network or more than one, or the network's data is
    /// corrupt; the message says which.
    /// </exception>
    public static AdamMlpModelParameters LoadFromSavedModel(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var networks = SavedModelReader.ReadAll(stream);
        return networks.Count switch
        {
            1 => networks[0].ToModel(),
            0 => throw new InvalidDataException("The saved model holds no MLNetAdam network (no ONNX model written by AdamMlpTransformer)."),
            _ => throw new InvalidDataException($"The saved model holds {networks.Count} MLNetAdam networks; LoadFromSavedModel needs exactly one."),
        };
    }

    internal AdamMlpModelParameters(
        ParameterLayout layout, MlpActivation activation, float[] parameters, IReadOnlyList<string> classNames, IReadOnlyList<TrainingEpoch> history)
    {
        if (parameters.Length != layout.ParameterCount)
            throw new ArgumentException($"Expected {layout.ParameterCount} parameters; got {parameters.Length}.", nameof(parameters));
        if (classNames.Count != layout.Sizes[^1])
            throw new ArgumentException($"Expected {layout.Sizes[^1]} class names; got {classNames.Count}.", nameof(classNames));
        Layout = layout;
        Activation = activation;
        _parameters = parameters;
        ClassNames = classNames.ToArray();
        TrainingHistory = history.ToArray();
    }

    internal ParameterLayout Layout { get; }

    /// <summary>Input size, hidden layer widths, then the number of classes.</summary>
    public IReadOnlyList<int> LayerSizes => Layout.Sizes;

    /// <summary>Number of fully connected layers (hidden layers + 1).</summary>
    public int LayerCount => Layout.LayerCount;

    /// <summary>Number of input features.</summary>
    public int InputSize => Layout.Sizes[0];

    /// <summary>Number of classes.</summary>
    public int ClassCount => Layout.Sizes[^1];

    /// <summary>Activation of the hidden layers.</summary>
    public MlpActivation Activation { get; }

    /// <summary>Class names in key order (from the label's key values), as text.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>One entry per epoch (or per iteration of a batch optimizer).</summary>
    public IReadOnlyList<TrainingEpoch> TrainingHistory { get; }

    /// <summary>Total number of weights and biases.</summary>
    public int ParameterCount => _parameters.Length;

    /// <summary>The weight matrix of layer <paramref name="layer"/>, stored [out][in] row-major (<c>LayerSizes[layer + 1] × LayerSizes[layer]</c>).</summary>
    /// <param name="layer">0-based layer index, less than <see cref="LayerCount"/>.</param>
    public ReadOnlyMemory<float> GetWeights(int layer)
    {
        CheckLayer(layer);
        return new ReadOnlyMemory<float>(_parameters, Layout.WeightOffset(layer), Layout.WeightLength(layer));
    }

    /// <summary>The bias vector of layer <paramref name="layer"/> (<c>LayerSizes[layer + 1]</c> values).</summary>
    /// <param name="layer">0-based layer index, less than <see cref="LayerCount"/>.</param>
    public ReadOnlyMemory<float> GetBiases(int layer)
    {
        CheckLayer(layer);
        return new ReadOnlyMemory<float>(_parameters, Layout.BiasOffset(layer), Layout.OutputsOf(layer));
    }

    /// <summary>A copy of all weights and biases as one flat vector (each layer's weights, then its biases).</summary>
    public float[] GetParameters() => (float[])_parameters.Clone();

    /// <summary>Class probabilities of one row.</summary>
    /// <param name="features">Exactly <see cref="InputSize"/> values.</param>
    /// <returns><see cref="ClassCount"/> probabilities that sum to 1.</returns>
    public float[] PredictProbabilities(ReadOnlySpan<float> features)
    {
        var probabilities = new float[ClassCount];
        Score(features, probabilities, CreateScratch());
        return probabilities;
    }

    internal float[] CreateScratch() => new float[2 * Layout.Sizes.Max()];

    /// <summary>Forward pass for one row into <paramref name="probabilities"/>, using caller-owned scratch (no allocation).</summary>
    internal void Score(ReadOnlySpan<float> features, Span<float> probabilities, Span<float> scratch)
    {
        if (features.Length != InputSize)
            throw new ArgumentException($"Expected {InputSize} features; got {features.Length}.", nameof(features));
        int widest = scratch.Length / 2;
        ReadOnlySpan<float> input = features;
        ReadOnlySpan<float> parameters = _parameters;
        for (int l = 0; l < Layout.LayerCount; l++)
        {
            int outputs = Layout.OutputsOf(l);
            // Alternate between the two halves of the scratch buffer; the last layer writes the output directly.
            Span<float> output = l == Layout.LayerCount - 1 ? probabilities : scratch.Slice((l % 2) * widest, outputs);
            if (outputs >= RowKernelOutputs)
            {
                // One row times the transposed weights: the register-blocked kernel streams Wᵀ's rows and broadcasts
                // the inputs, several times faster than one dot product per output.
                Layout.Biases(parameters, l).CopyTo(output);
                GemmKernel.Multiply(input, TransposedWeights(l), output, 1, outputs, Layout.InputsOf(l), accumulate: true);
            }
            else
            {
                Gemm.MultiplyTransposedB(input, Layout.Weights(parameters, l), Layout.Biases(parameters, l), output, 1, outputs, Layout.InputsOf(l));
            }
            if (l < Layout.LayerCount - 1)
                Activations.Forward<float>(Activation, output, output);
            input = output;
        }
        SoftmaxCrossEntropy.Softmax(probabilities);
    }

    /// <summary>From this many outputs on, a layer scores through its transposed weights.</summary>
    private const int RowKernelOutputs = 16;

    private float[]?[]? _transposed;

    // Each layer's Wᵀ (inputs × outputs), made on first use and kept: the weights never change after training.
    // Two threads racing here both build the same array; either result is correct.
    private float[] TransposedWeights(int layer)
    {
        var all = _transposed ??= new float[]?[Layout.LayerCount];
        var cached = Volatile.Read(ref all[layer]);
        if (cached is not null)
            return cached;
        var transposed = new float[Layout.WeightLength(layer)];
        GemmKernel.Transpose(Layout.Weights((ReadOnlySpan<float>)_parameters, layer), transposed, Layout.OutputsOf(layer), Layout.InputsOf(layer));
        Volatile.Write(ref all[layer], transposed);
        return transposed;
    }

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)LayerCount)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The model has {LayerCount} layers (0..{LayerCount - 1}).");
    }
}
