using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Reads back an ONNX model written by <see cref="OnnxExporter"/>: layer sizes, activation, class names and the
/// flat parameter vector (per layer the weights, then the biases) as an <see cref="OnnxNetwork"/>. Strict: anything else — a truncated or modified
/// file, a foreign ONNX model, a later format version — throws <see cref="InvalidDataException"/> saying what is
/// wrong, and nothing is allocated beyond the size of the input.
/// </summary>
internal static class OnnxModelReader
{
    /// <summary>Reads all of <paramref name="stream"/> (from its current position) and parses it.</summary>
    public static OnnxNetwork Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(ReadAll(stream));
    }

    /// <summary>Parses the bytes of an ONNX model written by <see cref="OnnxExporter"/>.</summary>
    public static OnnxNetwork Read(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty)
            throw new InvalidDataException("Not a valid MLNetAdam ONNX model: the data is empty.");
        var model = new ProtobufReader(bytes, "ModelProto");
        long? irVersion = null;
        var opsets = new List<(string Domain, long Version)>();
        ProtobufReader? graph = null;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        string? lastKey = null;
        int lastFieldStart = 0;
        while (true)
        {
            int fieldStart = model.Position;
            if (!model.TryReadTag(out int field, out int wireType))
                break;
            lastFieldStart = fieldStart;
            lastKey = null;
            switch (field)
            {
                case OnnxProto.Model.IrVersion:
                    model.Expect(wireType, ProtobufWriter.WireVarint, "ir_version");
                    irVersion = model.ReadInt64();
                    break;
                case OnnxProto.Model.OpsetImport:
                    model.Expect(wireType, ProtobufWriter.WireLengthDelimited, "opset_import");
                    opsets.Add(ReadOpset(model.ReadMessage("opset_import")));
                    break;
                case OnnxProto.Model.Graph:
                    model.Expect(wireType, ProtobufWriter.WireLengthDelimited, "graph");
                    if (graph is not null)
                        throw model.Error("the graph field appears twice");
                    graph = model.ReadMessage("graph");
                    break;
                case OnnxProto.Model.MetadataProps:
                    model.Expect(wireType, ProtobufWriter.WireLengthDelimited, "metadata_props");
                    var (key, value) = ReadEntry(model.ReadMessage("metadata_props"));
                    if (!metadata.TryAdd(key, value))
                        throw model.Error($"metadata key '{key}' appears twice");
                    lastKey = key;
                    break;
                default:
                    model.Skip(wireType);
                    break;
            }
        }

        if (!metadata.TryGetValue(OnnxExporter.FormatKey, out string? format))
            throw new InvalidDataException($"Not an MLNetAdam ONNX model: it has no '{OnnxExporter.FormatKey}' metadata (it was not written by AdamMlpTransformer.ExportToOnnx, or it was truncated).");
        if (format != OnnxExporter.FormatValue)
            throw new InvalidDataException($"Unsupported MLNetAdam ONNX model format '{format}'; this version reads '{OnnxExporter.FormatValue}'.");

        // The checksum must be the last field and cover every byte before it.
        if (lastKey != OnnxExporter.ChecksumKey)
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: the last field is not the '{OnnxExporter.ChecksumKey}' checksum (the file was truncated or rewritten by another tool).");
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes.Span[..lastFieldStart]));
        if (!string.Equals(actual, metadata[OnnxExporter.ChecksumKey], StringComparison.Ordinal))
            throw new InvalidDataException($"MLNetAdam ONNX model is corrupt: its SHA-256 is {actual}, but the file records {metadata[OnnxExporter.ChecksumKey]}.");

        if (irVersion != OnnxProto.IrVersion)
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: IR version {irVersion?.ToString(CultureInfo.InvariantCulture) ?? "missing"}, expected {OnnxProto.IrVersion}.");
        if (!opsets.Contains((string.Empty, OnnxProto.OpsetVersion)))
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: it does not import the default operator set version {OnnxProto.OpsetVersion}.");
        if (graph is null)
            throw new InvalidDataException("Not a valid MLNetAdam ONNX model: it has no graph.");

        int[] sizes = ParseSizes(Required(metadata, OnnxExporter.LayerSizesKey));
        string activation = Required(metadata, OnnxExporter.ActivationKey);
        string task = metadata.GetValueOrDefault(OnnxExporter.TaskKey, OnnxNetwork.Multiclass);
        int classCount = task switch
        {
            OnnxNetwork.Multiclass => sizes[^1],
            OnnxNetwork.Binary => 2,
            OnnxNetwork.Regression => 0,
            _ => throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: metadata '{OnnxExporter.TaskKey}' is '{Shorten(task)}'."),
        };
        if (task != OnnxNetwork.Multiclass && sizes[^1] != 1)
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: a {task} network has one output, but metadata '{OnnxExporter.LayerSizesKey}' gives {sizes[^1]}.");
        string[] classNames = ParseClassNames(Required(metadata, OnnxExporter.ClassNamesKey), classCount);
        float[] parameters = ReadParameters(graph, sizes);
        return new OnnxNetwork(sizes, activation, parameters, classNames, task);
    }

    /// <summary>Whether <paramref name="bytes"/> parse as a protobuf message at the top level (every field's tag and length fit); never throws.</summary>
    public static bool IsWellFormed(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            var model = new ProtobufReader(bytes, "ModelProto");
            while (model.TryReadTag(out _, out int wireType))
                model.Skip(wireType);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="bytes"/> look like a model of ours (a top-level format marker); never throws.</summary>
    public static bool HasFormatMarker(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            var model = new ProtobufReader(bytes, "ModelProto");
            while (model.TryReadTag(out int field, out int wireType))
            {
                if (field == OnnxProto.Model.MetadataProps && wireType == ProtobufWriter.WireLengthDelimited)
                {
                    var (key, _) = ReadEntry(model.ReadMessage("metadata_props"));
                    if (key == OnnxExporter.FormatKey)
                        return true;
                }
                else
                {
                    model.Skip(wireType);
                }
            }
            return false;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Reads a whole stream into memory; the result is as large as the stream's data, no larger than 2 GB.</summary>
    internal static byte[] ReadAll(Stream stream)
    {
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > Array.MaxLength)
                throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: {remaining} bytes is more than an ONNX model can hold.");
            var buffer = new byte[remaining];
            stream.ReadExactly(buffer);
            return buffer;
        }
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static (string Domain, long Version) ReadOpset(ProtobufReader opset)
    {
        string domain = string.Empty;
        long version = -1;
        while (opset.TryReadTag(out int field, out int wireType))
        {
            if (field == OnnxProto.OperatorSetId.Domain)
            {
                opset.Expect(wireType, ProtobufWriter.WireLengthDelimited, "domain");
                domain = opset.ReadString("domain");
            }
            else if (field == OnnxProto.OperatorSetId.Version)
            {
                opset.Expect(wireType, ProtobufWriter.WireVarint, "version");
                version = opset.ReadInt64();
            }
            else
            {
                opset.Skip(wireType);
            }
        }
        return (domain, version);
    }

    private static (string Key, string Value) ReadEntry(ProtobufReader entry)
    {
        string? key = null, value = null;
        while (entry.TryReadTag(out int field, out int wireType))
        {
            if (field == OnnxProto.StringStringEntry.Key)
            {
                entry.Expect(wireType, ProtobufWriter.WireLengthDelimited, "key");
                key = entry.ReadString("key");
            }
            else if (field == OnnxProto.StringStringEntry.Value)
            {
                entry.Expect(wireType, ProtobufWriter.WireLengthDelimited, "value");
                value = entry.ReadString("value");
            }
            else
            {
                entry.Skip(wireType);
            }
        }
        if (key is null)
            throw entry.Error("a metadata entry has no key");
        return (key, value ?? string.Empty);
    }

    private static string Required(Dictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out string? value)
            ? value
            : throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: metadata '{key}' is missing.");

    private static int[] ParseSizes(string text)
    {
        string[] parts = text.Split(',');
        if (parts.Length < 2)
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: metadata '{OnnxExporter.LayerSizesKey}' is '{Shorten(text)}'; it needs at least an input size and a class count.");
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
                throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: layer size '{Shorten(parts[i])}' in metadata '{OnnxExporter.LayerSizesKey}' is not a positive integer.");
        }
        return sizes;
    }

    private static string[] ParseClassNames(string json, int classCount)
    {
        string[]? names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: metadata '{OnnxExporter.ClassNamesKey}' is not a JSON array of strings ({e.Message}).", e);
        }
        if (names is null || names.Any(n => n is null))
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: metadata '{OnnxExporter.ClassNamesKey}' is null or holds a null name.");
        if (names.Length != classCount)
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: {names.Length} class names for {classCount} classes.");
        return names;
    }

    private static float[] ReadParameters(ProtobufReader graph, int[] sizes)
    {
        int layers = sizes.Length - 1;
        var weights = new ReadOnlyMemory<byte>?[layers];
        var biases = new ReadOnlyMemory<byte>?[layers];
        var names = new Dictionary<string, (int Layer, bool Bias)>(StringComparer.Ordinal);
        for (int l = 0; l < layers; l++)
        {
            names[OnnxExporter.WeightName(l)] = (l, false);
            names[OnnxExporter.BiasName(l)] = (l, true);
        }

        while (graph.TryReadTag(out int field, out int wireType))
        {
            if (field != OnnxProto.Graph.Initializer)
            {
                graph.Skip(wireType);
                continue;
            }
            graph.Expect(wireType, ProtobufWriter.WireLengthDelimited, "initializer");
            var tensor = ReadTensor(graph.ReadMessage("initializer"));
            if (tensor.Name is null || !names.TryGetValue(tensor.Name, out var slot))
                continue;
            int l = slot.Layer;
            long[] expected = slot.Bias ? [sizes[l + 1]] : [sizes[l + 1], sizes[l]];
            if (!tensor.Dims.SequenceEqual(expected))
                throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: initializer '{tensor.Name}' has shape [{string.Join(", ", tensor.Dims)}], expected [{string.Join(", ", expected)}] from the layer sizes {string.Join("-", sizes)}.");
            if (tensor.DataType != OnnxProto.Tensor.TypeFloat)
                throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: initializer '{tensor.Name}' has data type {tensor.DataType}, expected FLOAT ({OnnxProto.Tensor.TypeFloat}).");
            // Sizes are positive ints, so the count fits a long (< 2^62) but four times it may not: compare in floats.
            long count = slot.Bias ? sizes[l + 1] : (long)sizes[l + 1] * sizes[l];
            if (tensor.Data.Length % 4 != 0 || tensor.Data.Length / 4 != count)
                throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: initializer '{tensor.Name}' holds {tensor.Data.Length} bytes of data, expected {count} floats of 4 bytes.");
            ref var target = ref slot.Bias ? ref biases[l] : ref weights[l];
            if (target is not null)
                throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: initializer '{tensor.Name}' appears twice.");
            target = tensor.Data;
        }

        // Every layer's data is present and exactly as long as the layout says, so the total is bounded by the input size.
        for (int l = 0; l < layers; l++)
        {
            if (weights[l] is null || biases[l] is null)
                throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: initializer '{(weights[l] is null ? OnnxExporter.WeightName(l) : OnnxExporter.BiasName(l))}' is missing.");
        }
        long total = OnnxNetwork.ParameterCount(sizes);
        if (total > Array.MaxLength)
            throw new InvalidDataException($"Not a valid MLNetAdam ONNX model: layer sizes {string.Join("-", sizes)} need {total} parameters, more than one array holds.");
        var parameters = new float[total];
        int offset = 0;
        for (int l = 0; l < layers; l++)
        {
            int weightCount = sizes[l] * sizes[l + 1];
            CopyFloats(weights[l]!.Value.Span, parameters.AsSpan(offset, weightCount));
            offset += weightCount;
            CopyFloats(biases[l]!.Value.Span, parameters.AsSpan(offset, sizes[l + 1]));
            offset += sizes[l + 1];
        }
        return parameters;
    }

    private static void CopyFloats(ReadOnlySpan<byte> littleEndian, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(littleEndian.Slice(4 * i, 4));
    }

    private sealed record Tensor(string? Name, long[] Dims, long DataType, ReadOnlyMemory<byte> Data);

    private static Tensor ReadTensor(ProtobufReader tensor)
    {
        string? name = null;
        var dims = new List<long>();
        long dataType = 0;
        ReadOnlyMemory<byte>? raw = null;
        ReadOnlyMemory<byte>? floatData = null;
        while (tensor.TryReadTag(out int field, out int wireType))
        {
            switch (field)
            {
                case OnnxProto.Tensor.Name:
                    tensor.Expect(wireType, ProtobufWriter.WireLengthDelimited, "name");
                    name = tensor.ReadString("name");
                    break;
                case OnnxProto.Tensor.Dims:
                    if (wireType == ProtobufWriter.WireVarint)
                    {
                        dims.Add(tensor.ReadInt64());
                    }
                    else
                    {
                        tensor.Expect(wireType, ProtobufWriter.WireLengthDelimited, "dims");
                        var packed = new ProtobufReader(tensor.ReadLengthDelimited("dims"), $"{tensor.Context}.dims", tensor.BaseOffset);
                        while (!packed.AtEnd)
                        {
                            if (dims.Count >= 8)
                                throw tensor.Error("a tensor has more than 8 dimensions");
                            dims.Add(packed.ReadInt64());
                        }
                    }
                    if (dims.Count > 8)
                        throw tensor.Error("a tensor has more than 8 dimensions");
                    break;
                case OnnxProto.Tensor.DataType:
                    tensor.Expect(wireType, ProtobufWriter.WireVarint, "data_type");
                    dataType = tensor.ReadInt64();
                    break;
                case OnnxProto.Tensor.RawData:
                    tensor.Expect(wireType, ProtobufWriter.WireLengthDelimited, "raw_data");
                    raw = tensor.ReadLengthDelimited("raw_data");
                    break;
                case OnnxProto.Tensor.FloatData:
                    // Packed floats are little-endian IEEE 754, the same bytes as raw_data.
                    tensor.Expect(wireType, ProtobufWriter.WireLengthDelimited, "float_data");
                    floatData = tensor.ReadLengthDelimited("float_data");
                    break;
                case OnnxProto.Tensor.DataLocation:
                    tensor.Expect(wireType, ProtobufWriter.WireVarint, "data_location");
                    if (tensor.ReadInt64() != 0)
                        throw tensor.Error("a tensor's data is stored externally, which this reader does not support");
                    break;
                default:
                    tensor.Skip(wireType);
                    break;
            }
        }
        if (raw is not null && floatData is not null)
            throw tensor.Error($"tensor '{name}' has both raw_data and float_data");
        return new Tensor(name, dims.ToArray(), dataType, raw ?? floatData ?? ReadOnlyMemory<byte>.Empty);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
