using System.Text;

namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Reads the protobuf wire format field by field from a byte range, strictly: every malformation (a truncated
/// varint or field, a length past the end of the enclosing message, an unknown wire type, invalid UTF-8) throws
/// <see cref="InvalidDataException"/> naming <see cref="Context"/>. Lengths are checked against the bytes that
/// remain before anything is sliced or allocated, so a corrupt length can never cause a large allocation.
/// </summary>
internal sealed class ProtobufReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlyMemory<byte> _data;
    private int _position;

    /// <summary>Reads the fields of one message held in <paramref name="data"/>.</summary>
    /// <param name="data">The encoded message.</param>
    /// <param name="context">What the message is (e.g. "GraphProto"), for error messages.</param>
    /// <param name="baseOffset">Offset of <paramref name="data"/> within the file, for error messages.</param>
    public ProtobufReader(ReadOnlyMemory<byte> data, string context, long baseOffset = 0)
    {
        _data = data;
        Context = context;
        BaseOffset = baseOffset;
    }

    /// <summary>What is being read, for error messages.</summary>
    public string Context { get; }

    /// <summary>Offset of this message within the file.</summary>
    public long BaseOffset { get; }

    /// <summary>Offset of the next unread byte within this message.</summary>
    public int Position => _position;

    /// <summary>Whether all fields have been read.</summary>
    public bool AtEnd => _position >= _data.Length;

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    /// <param name="field">The field number (≥ 1).</param>
    /// <param name="wireType">The wire type (0, 1, 2 or 5; groups are rejected).</param>
    public bool TryReadTag(out int field, out int wireType)
    {
        field = 0;
        wireType = 0;
        if (AtEnd)
            return false;
        long at = _position;
        ulong tag = ReadVarint();
        wireType = (int)(tag & 7);
        ulong number = tag >> 3;
        if (number == 0 || number > 536_870_911)
            throw Error($"invalid field number {number} at byte {BaseOffset + at}");
        if (wireType is not (ProtobufWriter.WireVarint or ProtobufWriter.WireLengthDelimited or ProtobufWriter.WireFixed32 or 1))
            throw Error($"unsupported wire type {wireType} at byte {BaseOffset + at}");
        field = (int)number;
        return true;
    }

    /// <summary>Reads a varint field's value.</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        var span = _data.Span;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length)
                throw Error($"truncated varint at byte {BaseOffset + _position}");
            byte b = span[_position++];
            if (shift == 63 && b > 1)
                throw Error($"varint longer than 64 bits at byte {BaseOffset + _position - 1}");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return result;
        }
        throw Error($"varint longer than ten bytes at byte {BaseOffset + _position}");
    }

    /// <summary>Reads a varint as a signed 64-bit integer (int64, int32 and enum fields).</summary>
    public long ReadInt64() => (long)ReadVarint();

    /// <summary>Reads a fixed 32-bit float (wire type 5).</summary>
    public float ReadFloat()
    {
        var bytes = Take(4, "float");
        return System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.Span);
    }

    /// <summary>Reads a length-delimited field's bytes (without copying).</summary>
    /// <param name="what">What the field is, for error messages.</param>
    public ReadOnlyMemory<byte> ReadLengthDelimited(string what)
    {
        long at = _position;
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
            throw Error($"{what} at byte {BaseOffset + at} claims {length} bytes, but only {_data.Length - _position} remain");
        return Take((int)length, what);
    }

    /// <summary>Reads a length-delimited field as a nested message.</summary>
    /// <param name="context">What the nested message is.</param>
    public ProtobufReader ReadMessage(string context)
    {
        var bytes = ReadLengthDelimited(context);
        return new ProtobufReader(bytes, $"{Context}.{context}", BaseOffset + _position - bytes.Length);
    }

    /// <summary>Reads a length-delimited field as UTF-8 text.</summary>
    /// <param name="what">What the string is, for error messages.</param>
    public string ReadString(string what)
    {
        var bytes = ReadLengthDelimited(what);
        try
        {
            return Utf8.GetString(bytes.Span);
        }
        catch (ArgumentException e)
        {
            throw Error($"{what} is not valid UTF-8 ({e.Message})");
        }
    }

    /// <summary>Checks that the field just tagged has the expected wire type.</summary>
    /// <param name="wireType">The tag's wire type.</param>
    /// <param name="expected">The wire type the field must have.</param>
    /// <param name="what">The field's name, for error messages.</param>
    public void Expect(int wireType, int expected, string what)
    {
        if (wireType != expected)
            throw Error($"field {what} has wire type {wireType}, expected {expected}");
    }

    /// <summary>Skips the value of a field whose tag was just read.</summary>
    /// <param name="wireType">The tag's wire type.</param>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case ProtobufWriter.WireVarint:
                ReadVarint();
                break;
            case 1:
                Take(8, "fixed64 field");
                break;
            case ProtobufWriter.WireLengthDelimited:
                ReadLengthDelimited("length-delimited field");
                break;
            case ProtobufWriter.WireFixed32:
                Take(4, "fixed32 field");
                break;
            default:
                throw Error($"unsupported wire type {wireType}");
        }
    }

    /// <summary>An <see cref="InvalidDataException"/> naming this message.</summary>
    /// <param name="problem">What is wrong.</param>
    public InvalidDataException Error(string problem) => new($"Not a valid MLNetAdam ONNX model: in {Context}, {problem}.");

    private ReadOnlyMemory<byte> Take(int count, string what)
    {
        if (count > _data.Length - _position)
            throw Error($"truncated {what} at byte {BaseOffset + _position}: needs {count} bytes, {_data.Length - _position} remain");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
