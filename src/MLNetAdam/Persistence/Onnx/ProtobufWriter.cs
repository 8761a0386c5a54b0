using System.Buffers.Binary;
using System.Text;

namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Writes the protobuf wire format (https://protobuf.dev/programming-guides/encoding/): each field is a tag
/// <c>(field number &lt;&lt; 3) | wire type</c> as a varint, then a varint (wire type 0), four little-endian bytes
/// (wire type 5) or a varint length and that many bytes (wire type 2: strings, bytes, packed arrays and nested
/// messages). Only what the ONNX exporter needs. Fields are written in call order, so the same calls give the same bytes.
/// </summary>
internal sealed class ProtobufWriter
{
    public const int WireVarint = 0;
    public const int WireFixed32 = 5;
    public const int WireLengthDelimited = 2;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] _buffer = new byte[256];
    private int _length;

    /// <summary>Number of bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the bytes written so far.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>An int64/int32/enum field (negative values take ten bytes, as protobuf's two's-complement varint).</summary>
    public void WriteInt64(int field, long value)
    {
        WriteTag(field, WireVarint);
        WriteVarint((ulong)value);
    }

    /// <summary>A float field (wire type 5).</summary>
    public void WriteFloat(int field, float value)
    {
        WriteTag(field, WireFixed32);
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
    }

    /// <summary>A string field (UTF-8, no terminator).</summary>
    public void WriteString(int field, string value)
    {
        int byteCount = Utf8.GetByteCount(value);
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)byteCount);
        Utf8.GetBytes(value, Reserve(byteCount));
    }

    /// <summary>A bytes field.</summary>
    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>A bytes field holding <paramref name="values"/> as little-endian IEEE 754 singles (ONNX <c>raw_data</c>).</summary>
    public void WriteFloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)values.Length * 4);
        var destination = Reserve(checked(values.Length * 4));
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(destination.Slice(4 * i, 4), values[i]);
    }

    /// <summary>A packed repeated int64 field.</summary>
    public void WritePackedInt64(int field, ReadOnlySpan<long> values)
    {
        var packed = new ProtobufWriter();
        foreach (long value in values)
            packed.WriteVarint((ulong)value);
        WriteBytes(field, packed.WrittenSpan);
    }

    /// <summary>A nested message: <paramref name="writeBody"/> writes its fields, which are then length-prefixed.</summary>
    public void WriteMessage(int field, Action<ProtobufWriter> writeBody)
    {
        var body = new ProtobufWriter();
        writeBody(body);
        WriteBytes(field, body.WrittenSpan);
    }

    /// <summary>Copies <paramref name="encodedFields"/> (already-encoded fields) to the end.</summary>
    public void WriteRaw(ReadOnlySpan<byte> encodedFields) => encodedFields.CopyTo(Reserve(encodedFields.Length));

    private void WriteTag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        // Seven bits per byte, least significant group first; the high bit says another byte follows.
        while (value >= 0x80)
        {
            Reserve(1)[0] = (byte)(value | 0x80);
            value >>= 7;
        }
        Reserve(1)[0] = (byte)value;
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            long needed = (long)_length + count;
            if (needed > Array.MaxLength)
                throw new InvalidOperationException($"The ONNX model would exceed {Array.MaxLength} bytes.");
            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * _buffer.Length)));
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
