namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Appends the network to another ONNX model: ML.NET's <c>ConvertToOnnx</c> export of the transforms before the
/// trainer. The other model's fields are kept byte for byte except its graph's outputs; the network's initializers and
/// nodes (named with an <c>AdamMlp_</c> prefix) read the feature tensor that model produced, and the merged graph's
/// outputs are the probabilities and the 0-based class. Protobuf's repeated fields may come in any order, so the
/// network's fields are simply written after the others.
/// </summary>
internal static class OnnxPipelineMerger
{
    /// <summary>Lowest default-domain operator set whose Gemm, Softmax (2-D) and ArgMax the network's nodes rely on.</summary>
    private const long MinimumOpset = 11;

    public static byte[] Append(byte[] transforms, string featureOutput, OnnxNetwork network, OnnxActivationWriter activation, string probabilitiesName, string labelName)
    {
        var model = new ProtobufReader(transforms, "ModelProto");
        var kept = new ProtobufWriter();
        ReadOnlyMemory<byte>? graph = null;
        long opset = -1;
        while (true)
        {
            int start = model.Position;
            if (!model.TryReadTag(out int field, out int wireType))
                break;
            if (field == OnnxProto.Model.Graph)
            {
                model.Expect(wireType, ProtobufWriter.WireLengthDelimited, "graph");
                graph = model.ReadLengthDelimited("graph");
                continue;
            }
            if (field == OnnxProto.Model.OpsetImport && wireType == ProtobufWriter.WireLengthDelimited)
            {
                var (domain, version) = ReadOpset(model.ReadMessage("opset_import"));
                if (domain.Length == 0)
                    opset = version;
            }
            else
            {
                model.Skip(wireType);
            }
            kept.WriteRaw(transforms.AsSpan(start, model.Position - start));
        }
        if (graph is null)
            throw new InvalidOperationException("ML.NET's ONNX export of the transforms has no graph.");
        if (opset < MinimumOpset)
            throw new InvalidOperationException($"ML.NET exported the transforms with operator set {opset}; the network needs {MinimumOpset} or later.");

        // The graph minus its outputs, checking that the feature tensor is one of them.
        var graphReader = new ProtobufReader(graph.Value, "GraphProto");
        var graphFields = new ProtobufWriter();
        var outputs = new List<string>();
        while (true)
        {
            int start = graphReader.Position;
            if (!graphReader.TryReadTag(out int field, out int wireType))
                break;
            if (field == OnnxProto.Graph.Output && wireType == ProtobufWriter.WireLengthDelimited)
            {
                outputs.Add(ReadName(graphReader.ReadMessage("output")));
                continue;
            }
            graphReader.Skip(wireType);
            graphFields.WriteRaw(graph.Value.Span.Slice(start, graphReader.Position - start));
        }
        if (!outputs.Contains(featureOutput))
            throw new InvalidOperationException($"ML.NET's ONNX export of the transforms has no output '{featureOutput}' (it has {string.Join(", ", outputs)}).");

        var builder = new OnnxGraphBuilder { NodePrefix = "AdamMlp_" };
        OnnxExporter.AddNetworkAndOutputs(builder, network, activation, featureOutput, probabilitiesName, labelName);
        builder.WriteAppendix(graphFields);

        kept.WriteBytes(OnnxProto.Model.Graph, graphFields.WrittenSpan);
        return kept.ToArray();
    }

    private static (string Domain, long Version) ReadOpset(ProtobufReader opset)
    {
        string domain = string.Empty;
        long version = -1;
        while (opset.TryReadTag(out int field, out int wireType))
        {
            if (field == OnnxProto.OperatorSetId.Domain && wireType == ProtobufWriter.WireLengthDelimited)
                domain = opset.ReadString("domain");
            else if (field == OnnxProto.OperatorSetId.Version && wireType == ProtobufWriter.WireVarint)
                version = opset.ReadInt64();
            else
                opset.Skip(wireType);
        }
        return (domain, version);
    }

    private static string ReadName(ProtobufReader valueInfo)
    {
        string name = string.Empty;
        while (valueInfo.TryReadTag(out int field, out int wireType))
        {
            if (field == OnnxProto.ValueInfo.Name && wireType == ProtobufWriter.WireLengthDelimited)
                name = valueInfo.ReadString("name");
            else
                valueInfo.Skip(wireType);
        }
        return name;
    }
}
