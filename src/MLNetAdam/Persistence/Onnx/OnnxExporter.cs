using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Writes a network (<see cref="OnnxNetwork"/>) as an ONNX model (IR version 7, opset 13, default domain
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

    /// <summary>Metadata key of the hidden activation's name.</summary>
    public const string ActivationKey = "mlnetadam.activation";

    /// <summary>Metadata key of the task (<see cref="OnnxNetwork.Task"/>); a file without it is a softmax classifier.</summary>
    public const string TaskKey = "mlnetadam.task";

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

    /// <summary>Score output name of an exported binary or regression model: the logit, or the predicted value.</summary>
    public const string ScoreName = "score";

    /// <summary>Probability output name of an exported binary model.</summary>
    public const string ProbabilityName = "probability";

    /// <summary>Name of layer <paramref name="layer"/>'s weight initializer ([out, in]).</summary>
    public static string WeightName(int layer) => $"layer{layer}.weight";

    /// <summary>Name of layer <paramref name="layer"/>'s bias initializer ([out]).</summary>
    public static string BiasName(int layer) => $"layer{layer}.bias";

    /// <summary>
    /// The standard export: input <paramref name="inputName"/> float [N, inputs] (N symbolic). A multiclass network
    /// outputs <paramref name="probabilitiesName"/> float [N, classes] and <paramref name="labelName"/> int64 [N]
    /// (<c>ArgMax</c> of the probabilities: the 0-based class index, the first on ties). A binary network outputs
    /// <see cref="ScoreName"/> float [N, 1] (the logit), <see cref="ProbabilityName"/> float [N, 1] (its sigmoid) and
    /// <paramref name="labelName"/> bool [N, 1] (logit &gt; 0); a regression network <see cref="ScoreName"/> float [N, 1].
    /// </summary>
    public static byte[] Export(OnnxNetwork model, OnnxActivationWriter activation, string inputName = FeaturesName, string probabilitiesName = ProbabilitiesName, string labelName = LabelName)
    {
        var graph = new OnnxGraphBuilder();
        graph.Input(inputName, OnnxProto.Tensor.TypeFloat, "N", (long)model.LayerSizes[0]);
        string outputs = AddNetworkAndOutputs(graph, model, activation, inputName, probabilitiesName, labelName);
        return Encode(model, graph,
            $"{(model.IsMulticlass ? "Softmax" : model.Task)} MLP {string.Join("-", model.LayerSizes)} ({model.Activation}) exported by MLNetAdam. "
            + $"Input '{inputName}' float [N, {model.LayerSizes[0]}]; {outputs}.");
    }

    /// <summary>
    /// Adds the network from <paramref name="input"/> ([N, inputs]) and the task's outputs (see <see cref="Export"/>) to
    /// <paramref name="graph"/>, declaring them as graph outputs; returns their description. Used for a network alone
    /// and for one appended to ML.NET's export of a pipeline's transforms.
    /// </summary>
    internal static string AddNetworkAndOutputs(OnnxGraphBuilder graph, OnnxNetwork model, OnnxActivationWriter activation, string input, string probabilitiesName, string labelName)
    {
        switch (model.Task)
        {
            case OnnxNetwork.Multiclass:
            {
                string probabilities = AddNetwork(graph, model, activation, input, probabilitiesName);
                graph.Node("ArgMax", [probabilities], [labelName], OnnxGraphBuilder.IntAttribute("axis", 1), OnnxGraphBuilder.IntAttribute("keepdims", 0));
                graph.Output(probabilitiesName, OnnxProto.Tensor.TypeFloat, "N", (long)model.LayerSizes[^1]);
                graph.Output(labelName, OnnxProto.Tensor.TypeInt64, "N");
                return $"outputs '{probabilitiesName}' float [N, {model.LayerSizes[^1]}] (class probabilities) and '{labelName}' int64 [N] (0-based index of the most probable class; "
                    + $"class names in key order in metadata '{ClassNamesKey}')";
            }
            case OnnxNetwork.Binary:
                AddLayers(graph, model, activation, input, ScoreName);
                graph.FloatInitializer("mlp.zero", [], [0f]);
                graph.Node("Sigmoid", [ScoreName], [ProbabilityName]);
                graph.Node("Greater", [ScoreName, "mlp.zero"], [labelName]);
                graph.Output(ScoreName, OnnxProto.Tensor.TypeFloat, "N", 1L);
                graph.Output(ProbabilityName, OnnxProto.Tensor.TypeFloat, "N", 1L);
                graph.Output(labelName, OnnxProto.Tensor.TypeBool, "N", 1L);
                return $"outputs '{ScoreName}' float [N, 1] (the logit), '{ProbabilityName}' float [N, 1] (its sigmoid) and '{labelName}' bool [N, 1] (logit > 0)";
            default:
                AddLayers(graph, model, activation, input, ScoreName);
                graph.Output(ScoreName, OnnxProto.Tensor.TypeFloat, "N", 1L);
                return $"output '{ScoreName}' float [N, 1] (the predicted value, identity output)";
        }
    }

    /// <summary>
    /// The variant ML.NET's <c>ApplyOnnxModel</c> scores one row at a time with: input <paramref name="inputName"/>
    /// float [inputs] (a feature vector), outputs <paramref name="probabilitiesName"/> float [classes] and
    /// <paramref name="oneHotName"/> float [classes], the one-hot vector of the first most probable class.
    /// Rank-1 tensors map to ML.NET vector columns of exactly these sizes.
    /// </summary>
    public static byte[] ExportForRowScoring(OnnxNetwork model, OnnxActivationWriter activation, string inputName, string probabilitiesName, string oneHotName)
    {
        int k = model.LayerSizes[^1];
        var graph = new OnnxGraphBuilder();
        graph.Input(inputName, OnnxProto.Tensor.TypeFloat, (long)model.LayerSizes[0]);
        graph.Int64Initializer("row_shape", [2], [1, model.LayerSizes[0]]);
        graph.Int64Initializer("class_shape", [1], [k]);
        graph.Int64Initializer("class_indices", [1, k], Enumerable.Range(0, k).Select(c => (long)c).ToArray());
        graph.Node("Reshape", [inputName, "row_shape"], ["row"]);
        string probabilities = AddNetwork(graph, model, activation, "row", "row_probabilities");
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

    /// <summary>
    /// The variant of a one-output (binary or regression) network that ML.NET's <c>ApplyOnnxModel</c> scores one row
    /// at a time with: input <paramref name="inputName"/> float [inputs], output <paramref name="outputName"/> float [1]
    /// (the logit or the value).
    /// </summary>
    public static byte[] ExportSingleOutputForRowScoring(OnnxNetwork model, OnnxActivationWriter activation, string inputName, string outputName)
    {
        var graph = new OnnxGraphBuilder();
        graph.Input(inputName, OnnxProto.Tensor.TypeFloat, (long)model.LayerSizes[0]);
        graph.Int64Initializer("row_shape", [2], [1, model.LayerSizes[0]]);
        graph.Int64Initializer("output_shape", [1], [1]);
        graph.Node("Reshape", [inputName, "row_shape"], ["row"]);
        string output = AddLayers(graph, model, activation, "row", "row_output");
        graph.Node("Reshape", [output, "output_shape"], [outputName]);
        graph.Output(outputName, OnnxProto.Tensor.TypeFloat, 1L);
        return Encode(model, graph, $"{model.Task} MLP {string.Join("-", model.LayerSizes)} ({model.Activation}) exported by MLNetAdam for row-by-row scoring in ML.NET.");
    }

    /// <summary>
    /// Adds the layers from <paramref name="input"/> ([rows, inputs]) to softmax probabilities named <paramref name="output"/>:
    /// the same structure as the managed forward pass (<c>x·Wᵀ + b</c>, the activation after every hidden layer, softmax).
    /// </summary>
    internal static string AddNetwork(OnnxGraphBuilder graph, OnnxNetwork model, OnnxActivationWriter activation, string input, string output)
    {
        string logits = AddLayers(graph, model, activation, input, "logits");
        graph.Node("Softmax", [logits], [output], OnnxGraphBuilder.IntAttribute("axis", 1));
        return output;
    }

    /// <summary>Adds the layers from <paramref name="input"/> ([rows, inputs]) to the last layer's outputs named <paramref name="output"/> (no softmax).</summary>
    internal static string AddLayers(OnnxGraphBuilder graph, OnnxNetwork model, OnnxActivationWriter activation, string input, string output)
    {
        string x = input;
        for (int l = 0; l < model.LayerCount; l++)
        {
            int inputs = model.LayerSizes[l], outputs = model.LayerSizes[l + 1];
            graph.FloatInitializer(WeightName(l), [outputs, inputs], model.Weights(l));
            graph.FloatInitializer(BiasName(l), [outputs], model.Biases(l));
            bool last = l == model.LayerCount - 1;
            string z = last ? output : $"layer{l}.z";
            graph.Node("Gemm", [x, WeightName(l), BiasName(l)], [z], OnnxGraphBuilder.IntAttribute("transB", 1));
            if (!last)
            {
                activation(graph, z, $"layer{l}.a");
                z = $"layer{l}.a";
            }
            x = z;
        }
        return output;
    }

    private static byte[] Encode(OnnxNetwork model, OnnxGraphBuilder graph, string docString)
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
        WriteMetadata(writer, ActivationKey, model.Activation);
        WriteMetadata(writer, ClassNamesKey, JsonSerializer.Serialize(model.ClassNames.ToArray()));
        if (!model.IsMulticlass)
            WriteMetadata(writer, TaskKey, model.Task);

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
