using System.Buffers.Binary;
using System.IO.Compression;

namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Finds the networks of MLNetAdam transformers in a model saved with <c>mlContext.Model.Save</c>. The
/// saved model is a zip; ML.NET's ONNX transformer stores its model in an entry named <c>OnnxModel</c> as a
/// little-endian int32 length followed by the ONNX bytes. Entries whose ONNX model carries MLNetAdam's format marker
/// are read strictly with <see cref="OnnxModelReader"/>; other ONNX models are skipped.
/// </summary>
internal static class SavedModelReader
{
    private const string OnnxEntryName = "OnnxModel";

    /// <summary>The networks in the saved model, in the order of their zip entries.</summary>
    public static IReadOnlyList<OnnxNetwork> ReadAll(Stream stream)
    {
        var networks = new List<OnnxNetwork>();
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Not a model saved by mlContext.Model.Save: {e.Message}", e);
        }
        using (archive)
        {
            foreach (var entry in archive.Entries)
            {
                string name = entry.FullName.Replace('\\', '/');
                if (name != OnnxEntryName && !name.EndsWith("/" + OnnxEntryName, StringComparison.Ordinal))
                    continue;
                byte[] bytes = ReadEntry(entry, stream);
                if (bytes.Length < 4)
                    throw new InvalidDataException($"The saved model's entry '{entry.FullName}' is truncated: {bytes.Length} bytes.");
                int length = BinaryPrimitives.ReadInt32LittleEndian(bytes);
                if (length != bytes.Length - 4)
                    throw new InvalidDataException($"The saved model's entry '{entry.FullName}' records an ONNX model of {length} bytes but holds {bytes.Length - 4}.");
                var onnx = bytes.AsMemory(4);
                // Ours when it carries the format marker, or when the marker's text is there but the model no longer
                // parses (a damaged entry must be reported as damaged, not as someone else's model).
                if (OnnxModelReader.HasFormatMarker(onnx) || onnx.Span.IndexOf(MarkerText) >= 0)
                {
                    try
                    {
                        networks.Add(OnnxModelReader.Read(onnx));
                    }
                    catch (InvalidDataException e)
                    {
                        throw new InvalidDataException($"The saved model's entry '{entry.FullName}' holds an MLNetAdam network that is corrupt: {e.Message}", e);
                    }
                }
                else if (!OnnxModelReader.IsWellFormed(onnx))
                {
                    throw new InvalidDataException($"The saved model's entry '{entry.FullName}' is corrupt: it is not a well-formed ONNX model.");
                }
            }
        }
        return networks;
    }

    /// <summary>The marker's key as it appears in the file's bytes.</summary>
    private static ReadOnlySpan<byte> MarkerText => "mlnetadam.format"u8;

    /// <summary>An entry may expand at most this many times its compressed size (ONNX weights barely compress; deflate's limit is about 1,000).</summary>
    private const long MaximumExpansion = 32;

    private static byte[] ReadEntry(ZipArchiveEntry entry, Stream archive)
    {
        // Sizes are checked before anything is allocated: the declared size must fit the file (a zip bomb declares far
        // more than its compressed bytes can hold), and no more than the declared size is ever read.
        long limit = Math.Min(Array.MaxLength, MaximumExpansion * entry.CompressedLength + 4096);
        if (archive.CanSeek)
            limit = Math.Min(limit, MaximumExpansion * archive.Length + 4096);
        if (entry.Length > limit)
            throw new InvalidDataException(
                $"The saved model's entry '{entry.FullName}' declares {entry.Length:N0} bytes from {entry.CompressedLength:N0} compressed bytes; refusing to expand it (corrupt or hostile file).");
        try
        {
            using var input = entry.Open();
            var buffer = new byte[entry.Length];
            int read = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read != buffer.Length || input.ReadByte() != -1)
                throw new InvalidDataException($"The saved model's entry '{entry.FullName}' is corrupt: it holds {(read != buffer.Length ? read : "more than")} bytes, not the {entry.Length:N0} it declares.");
            return buffer;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The saved model's entry '{entry.FullName}' is corrupt: {e.Message}", e);
        }
    }
}
