using MLNetAdam.Numerics.Kernels;
using MLNetAdam.Persistence.Onnx;

namespace MLNetAdam.Model;

/// <summary>
/// A trained MLP: what it predicts (<see cref="Task"/>), layer sizes, activation, weights and biases (read-only), the
/// class names and the training history. Layer <c>l</c> computes <c>x · Wᵀ + b</c> with <c>W</c> stored [out][in];
/// hidden layers apply <see cref="Activation"/>; the last layer is followed by softmax (multiclass), read as a logit
/// (binary) or as the predicted value in the label's units (regression).
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
        return FromOnnx(OnnxModelReader.Read(stream));
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
            1 => FromOnnx(networks[0]),
            0 => throw new InvalidDataException("The saved model holds no MLNetAdam network (no ONNX model written by AdamMlpTransformer)."),
            _ => throw new InvalidDataException($"The saved model holds {networks.Count} MLNetAdam networks; LoadFromSavedModel needs exactly one."),
        };
    }

    /// <summary>The class names of a binary model: false (class 0), then true.</summary>
    internal static IReadOnlyList<string> BinaryClassNames { get; } = ["False", "True"];

    internal AdamMlpModelParameters(
        ParameterLayout layout, MlpActivation activation, float[] parameters, IReadOnlyList<string> classNames, IReadOnlyList<TrainingHistoryEntry> history,
        MlpTask task = MlpTask.MulticlassClassification)
    {
        if (parameters.Length != layout.ParameterCount)
            throw new ArgumentException($"Expected {layout.ParameterCount} parameters; got {parameters.Length}.", nameof(parameters));
        int outputs = layout.Sizes[^1];
        int classes = task switch
        {
            MlpTask.MulticlassClassification => outputs,
            MlpTask.BinaryClassification => 2,
            _ => 0,
        };
        if (task != MlpTask.MulticlassClassification && outputs != 1)
            throw new ArgumentException($"A {task} network has one output; got {outputs}.", nameof(layout));
        if (classNames.Count != classes)
            throw new ArgumentException($"Expected {classes} class names; got {classNames.Count}.", nameof(classNames));
        Task = task;
        Layout = layout;
        Activation = activation;
        _parameters = parameters;
        ClassNames = classNames.ToArray();
        TrainingHistory = history.ToArray();
    }

    internal ParameterLayout Layout { get; }

    /// <summary>What the network predicts: classes with softmax, a binary logit, or a numeric value.</summary>
    public MlpTask Task { get; }

    /// <summary>Input size, hidden layer widths, then the number of outputs (the classes; 1 for a binary or regression model).</summary>
    public IReadOnlyList<int> LayerSizes => Layout.Sizes;

    /// <summary>Number of fully connected layers (hidden layers + 1).</summary>
    public int LayerCount => Layout.LayerCount;

    /// <summary>Number of input features.</summary>
    public int InputSize => Layout.Sizes[0];

    /// <summary>Number of classes: the outputs of a multiclass model, 2 for a binary model, 0 for regression.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>Number of outputs of the last layer.</summary>
    internal int OutputCount => Layout.Sizes[^1];

    /// <summary>Activation of the hidden layers.</summary>
    public MlpActivation Activation { get; }

    /// <summary>Class names in key order (from the label's key values), as text; "False" and "True" for a binary model, none for regression.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>One entry per epoch (or per iteration of a batch optimizer).</summary>
    public IReadOnlyList<TrainingHistoryEntry> TrainingHistory { get; }

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

    /// <summary>Class probabilities of one row (classifiers; for a binary model, of false and of true).</summary>
    /// <param name="features">Exactly <see cref="InputSize"/> values.</param>
    /// <returns><see cref="ClassCount"/> probabilities that sum to 1.</returns>
    /// <exception cref="InvalidOperationException">The model is a regression model; use <see cref="PredictValue"/>.</exception>
    public float[] PredictProbabilities(ReadOnlySpan<float> features)
    {
        if (Task == MlpTask.Regression)
            throw new InvalidOperationException("This is a regression model: it predicts a value, not class probabilities; use PredictValue.");
        var outputs = new float[OutputCount];
        Score(features, outputs, CreateForwardPass());
        if (Task == MlpTask.MulticlassClassification)
            return outputs;
        float p = Sigmoid(outputs[0]);
        return [1 - p, p];
    }

    /// <summary>The predicted value of one row (regression models), in the label's units.</summary>
    /// <param name="features">Exactly <see cref="InputSize"/> values.</param>
    /// <exception cref="InvalidOperationException">The model is a classifier; use <see cref="PredictProbabilities"/>.</exception>
    public float PredictValue(ReadOnlySpan<float> features)
    {
        if (Task != MlpTask.Regression)
            throw new InvalidOperationException($"This is a {Task} model: it predicts classes; use PredictProbabilities.");
        Span<float> output = stackalloc float[1];
        Score(features, output, CreateForwardPass());
        return output[0];
    }

    /// <summary>
    /// The probability of a binary model's logit, <c>1 / (1 + e^(−logit))</c> computed in double as ML.NET's Platt
    /// calibrator with slope −1 and offset 0 does, so a saved and reloaded model gives the same bits.
    /// </summary>
    internal static float Sigmoid(float logit) => (float)(1 / (1 + Math.Exp(-1.0 * logit + 0.0)));

    /// <summary>A forward pass for scoring up to <paramref name="maxRows"/> rows at a time, through the cached transposed weights.</summary>
    internal ForwardPass<float> CreateForwardPass(int maxRows = 1) => new(Layout, Activation, maxRows, TransposedWeights);

    /// <summary>
    /// The outputs of one row into <paramref name="outputs"/> (<see cref="OutputCount"/> values) through caller-owned
    /// <paramref name="pass"/> (no allocation): class probabilities (multiclass), the logit (binary) or the value (regression).
    /// </summary>
    internal void Score(ReadOnlySpan<float> features, Span<float> outputs, ForwardPass<float> pass)
    {
        if (features.Length != InputSize)
            throw new ArgumentException($"Expected {InputSize} features; got {features.Length}.", nameof(features));
        Finish(pass.Run(_parameters, features, rows: 1), outputs);
    }

    /// <summary>The outputs of one sparse row (stored indices and values), touching only the stored values in the first layer.</summary>
    internal void ScoreSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> outputs, ForwardPass<float> pass) =>
        Finish(pass.RunSparseRow(_parameters, indices, values), outputs);

    private void Finish(ReadOnlySpan<float> logits, Span<float> outputs)
    {
        logits.CopyTo(outputs);
        if (Task == MlpTask.MulticlassClassification)
            SoftmaxCrossEntropy.Softmax(outputs.Slice(0, OutputCount));
    }

    /// <summary>The network as plain data for the ONNX writer.</summary>
    internal OnnxNetwork ToOnnx() => new(Layout.Sizes, Activation.ToString(), _parameters, ClassNames.ToArray(), Task.ToString());

    /// <summary>The ONNX form of the hidden activation (the activation table's).</summary>
    internal OnnxActivationWriter OnnxActivation => Model.Activation.For(Activation).WriteOnnx;

    /// <summary>A model from a network read back from ONNX (no training history); an unknown activation name is corrupt data.</summary>
    internal static AdamMlpModelParameters FromOnnx(OnnxNetwork network)
    {
        var activation = Model.Activation.ForName(network.Activation)
            ?? throw new InvalidDataException(
                $"Not a valid MLNetAdam ONNX model: unknown activation '{(network.Activation.Length <= 40 ? network.Activation : network.Activation[..40] + "…")}' (expected one of {string.Join(", ", Enum.GetNames<MlpActivation>())}).");
        if (!Enum.TryParse<MlpTask>(network.Task, out var task) || !Enum.IsDefined(task) || int.TryParse(network.Task, out _))
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: unknown task '{(network.Task.Length <= 40 ? network.Task : network.Task[..40] + "…")}' (expected one of {string.Join(", ", Enum.GetNames<MlpTask>())}).");
        try
        {
            return new AdamMlpModelParameters(new ParameterLayout(network.LayerSizes), activation.Kind, network.Parameters, network.ClassNames, [], task);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: {e.Message}", e);
        }
    }

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
