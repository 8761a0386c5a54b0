using System.Buffers.Binary;
using System.IO.Compression;

namespace MLNetAdam.Benchmarks;

/// <summary>
/// Fashion-MNIST as shipped by Debian's <c>dataset-fashion-mnist</c>: gzip-compressed IDX files in
/// <c>/usr/share/datasets/fashion-mnist/</c>. Pixels are scaled to [0, 1] (÷ 255) as float32, row-major 28×28 = 784.
/// </summary>
internal sealed class FashionMnist
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";
    public const int Features = 784;
    public const int Classes = 10;

    public required float[] TrainX { get; init; }
    public required int[] TrainY { get; init; }
    public required float[] TestX { get; init; }
    public required int[] TestY { get; init; }

    public int TrainRows => TrainY.Length;
    public int TestRows => TestY.Length;

    /// <summary>Bytes of the float32 features (train + test).</summary>
    public long FeatureBytes => ((long)TrainX.Length + TestX.Length) * sizeof(float);

    public static FashionMnist Load(string? directory = null)
    {
        string dir = directory ?? Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") ?? DefaultDirectory;
        string F(string name)
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p))
                return p;
            if (File.Exists(p + ".gz"))
                return p + ".gz";
            throw new FileNotFoundException(
                $"Fashion-MNIST file '{name}(.gz)' not found in {dir}. Install it with bench/setup.sh (Debian package dataset-fashion-mnist).", p);
        }
        return new FashionMnist
        {
            TrainX = ReadImages(F("train-images-idx3-ubyte")),
            TrainY = ReadLabels(F("train-labels-idx1-ubyte")),
            TestX = ReadImages(F("t10k-images-idx3-ubyte")),
            TestY = ReadLabels(F("t10k-labels-idx1-ubyte")),
        };
    }

    private static byte[] ReadAll(string path)
    {
        using Stream file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    // IDX: big-endian magic 0x00000803 (unsigned byte, 3 dimensions), then the dimensions, then the bytes.
    private static float[] ReadImages(string path)
    {
        byte[] b = ReadAll(path);
        if (BinaryPrimitives.ReadInt32BigEndian(b) != 0x803)
            throw new InvalidDataException($"{path}: not an IDX3 unsigned-byte file.");
        int n = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(12));
        if (rows * cols != Features || b.Length != 16 + n * Features)
            throw new InvalidDataException($"{path}: unexpected shape {n}×{rows}×{cols}.");
        var x = new float[n * Features];
        for (int i = 0; i < x.Length; i++)
            x[i] = b[16 + i] / 255f;
        return x;
    }

    private static int[] ReadLabels(string path)
    {
        byte[] b = ReadAll(path);
        if (BinaryPrimitives.ReadInt32BigEndian(b) != 0x801)
            throw new InvalidDataException($"{path}: not an IDX1 unsigned-byte file.");
        int n = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4));
        if (b.Length != 8 + n)
            throw new InvalidDataException($"{path}: unexpected length.");
        var y = new int[n];
        for (int i = 0; i < n; i++)
            y[i] = b[8 + i];
        return y;
    }
}
