namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Collects the nodes, initializers, inputs and outputs of one ONNX <c>GraphProto</c> and encodes them in the
/// order they were added (so the same calls give the same bytes).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly ProtobufWriter _nodes = new();
    private readonly ProtobufWriter _initializers = new();
    private readonly ProtobufWriter _inputs = new();
    private readonly ProtobufWriter _outputs = new();
    private readonly HashSet<string> _initializerNames = new(StringComparer.Ordinal);
    private int _nodeCount;

    /// <summary>Put before every node name (so nodes appended to another model's graph keep unique names).</summary>
    public string NodePrefix { get; init; } = string.Empty;

    /// <summary>Adds a node of the default domain; its name is its op type and a running number.</summary>
    /// <param name="opType">Operator, e.g. <c>Gemm</c>.</param>
    /// <param name="inputs">Names of its input values.</param>
    /// <param name="outputs">Names of its output values.</param>
    /// <param name="attributes">Writers of its attributes (see <see cref="IntAttribute"/> and <see cref="FloatAttribute"/>).</param>
    public void Node(string opType, string[] inputs, string[] outputs, params Action<ProtobufWriter>[] attributes)
    {
        string name = $"{NodePrefix}{opType}_{_nodeCount++}";
        _nodes.WriteMessage(OnnxProto.Graph.Node, node =>
        {
            foreach (var input in inputs)
                node.WriteString(OnnxProto.Node.Input, input);
            foreach (var output in outputs)
                node.WriteString(OnnxProto.Node.Output, output);
            node.WriteString(OnnxProto.Node.Name, name);
            node.WriteString(OnnxProto.Node.OpType, opType);
            foreach (var attribute in attributes)
                node.WriteMessage(OnnxProto.Node.Attribute, attribute);
        });
    }

    /// <summary>An INT attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Its value.</param>
    public static Action<ProtobufWriter> IntAttribute(string name, long value) => a =>
    {
        a.WriteString(OnnxProto.Attribute.Name, name);
        a.WriteInt64(OnnxProto.Attribute.I, value);
        a.WriteInt64(OnnxProto.Attribute.Type, OnnxProto.Attribute.TypeInt);
    };

    /// <summary>A FLOAT attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">Its value.</param>
    public static Action<ProtobufWriter> FloatAttribute(string name, float value) => a =>
    {
        a.WriteString(OnnxProto.Attribute.Name, name);
        a.WriteFloat(OnnxProto.Attribute.F, value);
        a.WriteInt64(OnnxProto.Attribute.Type, OnnxProto.Attribute.TypeFloat);
    };

    /// <summary>Adds a float initializer stored as little-endian <c>raw_data</c>.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="dims">Shape (empty for a scalar).</param>
    /// <param name="values">Row-major values; their count is the product of <paramref name="dims"/>.</param>
    public void FloatInitializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        AddInitializerName(name);
        var tensor = new ProtobufWriter();
        if (dims.Length > 0)
            tensor.WritePackedInt64(OnnxProto.Tensor.Dims, dims);
        tensor.WriteInt64(OnnxProto.Tensor.DataType, OnnxProto.Tensor.TypeFloat);
        tensor.WriteString(OnnxProto.Tensor.Name, name);
        tensor.WriteFloatsAsBytes(OnnxProto.Tensor.RawData, values);
        _initializers.WriteBytes(OnnxProto.Graph.Initializer, tensor.WrittenSpan);
    }

    /// <summary>Adds an int64 initializer stored as packed <c>int64_data</c>.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="dims">Shape (empty for a scalar).</param>
    /// <param name="values">Row-major values.</param>
    public void Int64Initializer(string name, long[] dims, long[] values)
    {
        AddInitializerName(name);
        var tensor = new ProtobufWriter();
        if (dims.Length > 0)
            tensor.WritePackedInt64(OnnxProto.Tensor.Dims, dims);
        tensor.WriteInt64(OnnxProto.Tensor.DataType, OnnxProto.Tensor.TypeInt64);
        tensor.WritePackedInt64(OnnxProto.Tensor.Int64Data, values);
        tensor.WriteString(OnnxProto.Tensor.Name, name);
        _initializers.WriteBytes(OnnxProto.Graph.Initializer, tensor.WrittenSpan);
    }

    /// <summary>Whether an initializer of this name was added (shared constants are added once).</summary>
    /// <param name="name">Value name.</param>
    public bool HasInitializer(string name) => _initializerNames.Contains(name);

    private void AddInitializerName(string name)
    {
        if (!_initializerNames.Add(name))
            throw new InvalidOperationException($"The ONNX graph already has an initializer named '{name}'.");
    }

    /// <summary>Declares a graph input.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="elementType">A <c>TensorProto.DataType</c> value.</param>
    /// <param name="dims">Each dimension: a <see cref="long"/> size or a <see cref="string"/> symbolic name.</param>
    public void Input(string name, int elementType, params object[] dims) => WriteValueInfo(_inputs, OnnxProto.Graph.Input, name, elementType, dims);

    /// <summary>Declares a graph output.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="elementType">A <c>TensorProto.DataType</c> value.</param>
    /// <param name="dims">Each dimension: a <see cref="long"/> size or a <see cref="string"/> symbolic name.</param>
    public void Output(string name, int elementType, params object[] dims) => WriteValueInfo(_outputs, OnnxProto.Graph.Output, name, elementType, dims);

    /// <summary>Encodes the <c>GraphProto</c> fields.</summary>
    /// <param name="graph">Where to write them.</param>
    /// <param name="name">Graph name.</param>
    public void WriteTo(ProtobufWriter graph, string name)
    {
        graph.WriteRaw(_nodes.WrittenSpan);
        graph.WriteString(OnnxProto.Graph.Name, name);
        graph.WriteRaw(_initializers.WrittenSpan);
        graph.WriteRaw(_inputs.WrittenSpan);
        graph.WriteRaw(_outputs.WrittenSpan);
    }

    /// <summary>Encodes the nodes, initializers and outputs only, to append them to another <c>GraphProto</c>'s fields.</summary>
    /// <param name="graph">Where to write them.</param>
    public void WriteAppendix(ProtobufWriter graph)
    {
        graph.WriteRaw(_nodes.WrittenSpan);
        graph.WriteRaw(_initializers.WrittenSpan);
        graph.WriteRaw(_outputs.WrittenSpan);
    }

    private static void WriteValueInfo(ProtobufWriter list, int field, string name, int elementType, object[] dims)
    {
        list.WriteMessage(field, info =>
        {
            info.WriteString(OnnxProto.ValueInfo.Name, name);
            info.WriteMessage(OnnxProto.ValueInfo.Type, type => type.WriteMessage(OnnxProto.Type.TensorType, tensor =>
            {
                tensor.WriteInt64(OnnxProto.Type.TensorElemType, elementType);
                tensor.WriteMessage(OnnxProto.Type.TensorShape, shape =>
                {
                    foreach (var dim in dims)
                    {
                        shape.WriteMessage(OnnxProto.Type.ShapeDim, d =>
                        {
                            if (dim is string symbol)
                                d.WriteString(OnnxProto.Type.DimParam, symbol);
                            else
                                d.WriteInt64(OnnxProto.Type.DimValue, Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture));
                        });
                    }
                });
            }));
        });
    }
}
