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
                byte[] bytes = ReadEntry(entry);
                if (bytes.Length < 4)
                    throw new InvalidDataException($"The saved model's entry '{entry.FullName}' is truncated: {bytes.Length} bytes.");
                int length = BinaryPrimitives.ReadInt32LittleEndian(bytes);
                if (length != bytes.Length - 4)
                    throw new InvalidDataException($"The saved model's entry '{entry.FullName}' records an ONNX model of {length} bytes but holds {bytes.Length - 4}.");
                var onnx = bytes.AsMemory(4);
                if (OnnxModelReader.HasFormatMarker(onnx))
                    networks.Add(OnnxModelReader.Read(onnx));
            }
        }
        return networks;
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry)
    {
        try
        {
            // Copy as the data arrives rather than trusting the header's size.
            using var input = entry.Open();
            using var copy = new MemoryStream();
            input.CopyTo(copy);
            return copy.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The saved model's entry '{entry.FullName}' is corrupt: {e.Message}", e);
        }
    }
}
