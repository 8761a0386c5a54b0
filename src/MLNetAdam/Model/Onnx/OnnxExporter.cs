using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MLNetAdam.Numerics.Kernels;

namespace MLNetAdam.Model.Onnx;

/// <summary>
/// Writes a trained <see cref="AdamMlpModelParameters"/> as an ONNX model (IR version 7, opset 13, default domain
/// only): per layer a <c>Gemm</c> (<c>transB = 1</c>, weights [out, in] and biases as float initializers), the hidden
/// activation, then <c>Softmax(axis = 1)</c>. The model's <c>metadata_props</c> hold everything needed to rebuild the
/// network (<see cref="OnnxModelReader"/>): a format marker, the layer sizes, the activation, the class names (JSON),
/// and last a SHA-256 of all bytes before that entry, so any change to the file is detected on reading.
/// Deterministic: the same model always gives the same bytes.
/// </summary>
internal static class OnnxExporter
{
    /// <summary>Metadata key of the format marker; its value is <see cref="FormatValue"/>.</summary>
    public const string FormatKey = "mlnetadam.format";

    /// <summary>The format marker's value; the number is the version of this layout.</summary>
    public const string FormatValue = "AdamMlp/1";

    /// <summary>Metadata key of the layer sizes: input size, hidden widths, classes, comma-separated.</summary>
    public const string LayerSizesKey = "mlnetadam.layer_sizes";

    /// <summary>Metadata key of the hidden activation: an <see cref="MlpActivation"/> name.</summary>
    public const string ActivationKey = "mlnetadam.activation";

    /// <summary>Metadata key of the class names in key order: a JSON array of strings.</summary>
    public const string ClassNamesKey = "mlnetadam.class_names";

    /// <summary>Metadata key of the checksum: lowercase hex SHA-256 of every byte of the file before this entry. Always the last field.</summary>
    public const string ChecksumKey = "mlnetadam.sha256";

    /// <summary>Default input name of an exported model.</summary>
    public const string FeaturesName = "features";

    /// <summary>Default probability output name of an exported model.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>Default label output name of an exported model.</summary>
    public const string LabelName = "label";

    /// <summary>Name of layer <paramref name="layer"/>'s weight initializer ([out, in]).</summary>
    public static string WeightName(int layer) => $"layer{layer}.weight";

    /// <summary>Name of layer <paramref name="layer"/>'s bias initializer ([out]).</summary>
    public static string BiasName(int layer) => $"layer{layer}.bias";

    /// <summary>
    /// The standard export: input <paramref name="inputName"/> float [N, inputs] (N symbolic), outputs
    /// <paramref name="probabilitiesName"/> float [N, classes] and <paramref name="labelName"/> int64 [N]
    /// (<c>ArgMax</c> of the probabilities: the 0-based class index, the first on ties).
    /// </summary>
    public static byte[] Export(AdamMlpModelParameters model, string inputName = FeaturesName, string probabilitiesName = ProbabilitiesName, string labelName = LabelName)
    {
        var graph = new OnnxGraphBuilder();
        graph.Input(inputName, OnnxProto.Tensor.TypeFloat, "N", (long)model.InputSize);
        string probabilities = AddNetwork(graph, model, inputName, probabilitiesName);
        graph.Node("ArgMax", [probabilities], [labelName], OnnxGraphBuilder.IntAttribute("axis", 1), OnnxGraphBuilder.IntAttribute("keepdims", 0));
        graph.Output(probabilitiesName, OnnxProto.Tensor.TypeFloat, "N", (long)model.ClassCount);
        graph.Output(labelName, OnnxProto.Tensor.TypeInt64, "N");
        return Encode(model, graph,
            $"Softmax MLP {string.Join("-", model.LayerSizes)} ({model.Activation}) exported by MLNetAdam. Input '{inputName}' float [N, {model.InputSize}]; "
            + $"outputs '{probabilitiesName}' float [N, {model.ClassCount}] (class probabilities) and '{labelName}' int64 [N] (0-based index of the most probable class; "
            + $"class names in key order in metadata '{ClassNamesKey}').");
    }

    /// <summary>
    /// The variant ML.NET's <c>ApplyOnnxModel</c> scores one row at a time with: input <paramref name="inputName"/>
    /// float [inputs] (a feature vector), outputs <paramref name="probabilitiesName"/> float [classes] and
    /// <paramref name="oneHotName"/> float [classes], the one-hot vector of the first most probable class.
    /// Rank-1 tensors map to ML.NET vector columns of exactly these sizes.
    /// </summary>
    public static byte[] ExportForRowScoring(AdamMlpModelParameters model, string inputName, string probabilitiesName, string oneHotName)
    {
        int k = model.ClassCount;
        var graph = new OnnxGraphBuilder();
        graph.Input(inputName, OnnxProto.Tensor.TypeFloat, (long)model.InputSize);
        graph.Int64Initializer("row_shape", [2], [1, model.InputSize]);
        graph.Int64Initializer("class_shape", [1], [k]);
        graph.Int64Initializer("class_indices", [1, k], Enumerable.Range(0, k).Select(c => (long)c).ToArray());
        graph.Node("Reshape", [inputName, "row_shape"], ["row"]);
        string probabilities = AddNetwork(graph, model, "row", "row_probabilities");
        graph.Node("Reshape", [probabilities, "class_shape"], [probabilitiesName]);

        // One-hot of the arg max: ArgMax keeps the first maximum, Equal against 0..k-1 marks exactly that class.
        graph.Node("ArgMax", [probabilities], ["row_label"], OnnxGraphBuilder.IntAttribute("axis", 1), OnnxGraphBuilder.IntAttribute("keepdims", 1));
        graph.Node("Equal", ["row_label", "class_indices"], ["row_is_label"]);
        graph.Node("Cast", ["row_is_label"], ["row_one_hot"], OnnxGraphBuilder.IntAttribute("to", OnnxProto.Tensor.TypeFloat));
        graph.Node("Reshape", ["row_one_hot", "class_shape"], [oneHotName]);
        graph.Output(probabilitiesName, OnnxProto.Tensor.TypeFloat, (long)k);
        graph.Output(oneHotName, OnnxProto.Tensor.TypeFloat, (long)k);
        return Encode(model, graph, $"Softmax MLP {string.Join("-", model.LayerSizes)} ({model.Activation}) exported by MLNetAdam for row-by-row scoring in ML.NET.");
    }

    /// <summary>Adds the layers from <paramref name="input"/> ([rows, inputs]) to softmax probabilities named <paramref name="output"/>.</summary>
    private static string AddNetwork(OnnxGraphBuilder graph, AdamMlpModelParameters model, string input, string output)
    {
        var layout = model.Layout;
        string x = input;
        bool gelu = model.Activation == MlpActivation.Gelu && layout.LayerCount > 1;
        if (gelu)
        {
            // The same constants as the managed forward pass (Activations.Forward), rounded to float the same way.
            graph.FloatInitializer("gelu_half", [], [0.5f]);
            graph.FloatInitializer("gelu_one", [], [1f]);
            graph.FloatInitializer("gelu_sqrt_2_over_pi", [], [(float)0.7978845608028654]);
            graph.FloatInitializer("gelu_cubic", [], [(float)0.044715]);
        }
        for (int l = 0; l < layout.LayerCount; l++)
        {
            graph.FloatInitializer(WeightName(l), [layout.OutputsOf(l), layout.InputsOf(l)], model.GetWeights(l).Span);
            graph.FloatInitializer(BiasName(l), [layout.OutputsOf(l)], model.GetBiases(l).Span);
            bool last = l == layout.LayerCount - 1;
            string z = last ? "logits" : $"layer{l}.z";
            graph.Node("Gemm", [x, WeightName(l), BiasName(l)], [z], OnnxGraphBuilder.IntAttribute("transB", 1));
            x = last ? z : AddActivation(graph, model.Activation, z, $"layer{l}.a");
        }
        graph.Node("Softmax", [x], [output], OnnxGraphBuilder.IntAttribute("axis", 1));
        return output;
    }

    private static string AddActivation(OnnxGraphBuilder graph, MlpActivation activation, string z, string a)
    {
        switch (activation)
        {
            case MlpActivation.Relu:
                graph.Node("Relu", [z], [a]);
                break;
            case MlpActivation.LeakyRelu:
                graph.Node("LeakyRelu", [z], [a], OnnxGraphBuilder.FloatAttribute("alpha", Activations.LeakySlope));
                break;
            case MlpActivation.Tanh:
                graph.Node("Tanh", [z], [a]);
                break;
            case MlpActivation.Sigmoid:
                graph.Node("Sigmoid", [z], [a]);
                break;
            case MlpActivation.Gelu:
                // Opset 13 has no Gelu: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), multiplied in the managed
                // kernel's order: ((0.5 x) (1 + tanh(c (x + ((0.044715 x) x) x)))).
                graph.Node("Mul", ["gelu_half", z], [$"{a}.half_x"]);
                graph.Node("Mul", ["gelu_cubic", z], [$"{a}.ax"]);
                graph.Node("Mul", [$"{a}.ax", z], [$"{a}.ax2"]);
                graph.Node("Mul", [$"{a}.ax2", z], [$"{a}.ax3"]);
                graph.Node("Add", [z, $"{a}.ax3"], [$"{a}.inner"]);
                graph.Node("Mul", ["gelu_sqrt_2_over_pi", $"{a}.inner"], [$"{a}.u"]);
                graph.Node("Tanh", [$"{a}.u"], [$"{a}.t"]);
                graph.Node("Add", ["gelu_one", $"{a}.t"], [$"{a}.one_plus_t"]);
                graph.Node("Mul", [$"{a}.half_x", $"{a}.one_plus_t"], [a]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
        return a;
    }

    private static byte[] Encode(AdamMlpModelParameters model, OnnxGraphBuilder graph, string docString)
    {
        var writer = new ProtobufWriter();
        writer.WriteInt64(OnnxProto.Model.IrVersion, OnnxProto.IrVersion);
        writer.WriteString(OnnxProto.Model.ProducerName, "MLNetAdam");
        writer.WriteString(OnnxProto.Model.ProducerVersion, ProducerVersion);
        writer.WriteString(OnnxProto.Model.Domain, "mlnetadam");
        writer.WriteInt64(OnnxProto.Model.ModelVersion, 1);
        writer.WriteString(OnnxProto.Model.DocString, docString);
        writer.WriteMessage(OnnxProto.Model.Graph, g => graph.WriteTo(g, "AdamMlp"));
        writer.WriteMessage(OnnxProto.Model.OpsetImport, opset =>
        {
            opset.WriteString(OnnxProto.OperatorSetId.Domain, "");
            opset.WriteInt64(OnnxProto.OperatorSetId.Version, OnnxProto.OpsetVersion);
        });
        WriteMetadata(writer, FormatKey, FormatValue);
        WriteMetadata(writer, LayerSizesKey, string.Join(",", model.LayerSizes.Select(s => s.ToString(CultureInfo.InvariantCulture))));
        WriteMetadata(writer, ActivationKey, model.Activation.ToString());
        WriteMetadata(writer, ClassNamesKey, JsonSerializer.Serialize(model.ClassNames.ToArray()));

        // The checksum covers everything written so far and is the last field.
        string checksum = Convert.ToHexStringLower(SHA256.HashData(writer.WrittenSpan));
        WriteMetadata(writer, ChecksumKey, checksum);
        return writer.ToArray();
    }

    private static void WriteMetadata(ProtobufWriter writer, string key, string value) =>
        writer.WriteMessage(OnnxProto.Model.MetadataProps, entry =>
        {
            entry.WriteString(OnnxProto.StringStringEntry.Key, key);
            entry.WriteString(OnnxProto.StringStringEntry.Value, value);
        });

    private static string ProducerVersion =>
        typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
