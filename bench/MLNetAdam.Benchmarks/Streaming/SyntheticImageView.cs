using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Benchmarks.Streaming;

/// <summary>
/// An <see cref="IDataView"/> of <c>rows</c> synthetic image-like rows generated on the fly — nothing is materialized,
/// so it can describe far more data than memory holds: <c>Label</c> (key of 10 values) and <c>Features</c>
/// (<c>features</c> float32 in [0, 1], optionally quantized to k/255 like pixels/255). Row r is a pure function of (seed, r): its class
/// is drawn from a per-row generator, its pixels are the class's prototype plus noise, clipped at 0, so the classes are learnable.
/// </summary>
internal sealed class SyntheticImageView : IDataView
{
    public const int Classes = 10;

    private readonly long _rows;
    private readonly int _features;
    private readonly ulong _seed;
    private readonly float[][] _prototypes;

    private readonly bool _quantized;

    /// <param name="quantized">Pixels rounded to k/255 (compressible, as real images are); false keeps full float32 noise, which the binary saver's compression cannot shrink.</param>
    public SyntheticImageView(long rows, int features, int seed, bool quantized = false)
    {
        _quantized = quantized;
        _rows = rows;
        _features = features;
        _seed = (ulong)seed;
        var random = new Random(seed);
        _prototypes = Enumerable.Range(0, Classes)
            .Select(_ => Enumerable.Range(0, features).Select(_ => (float)random.NextDouble()).ToArray())
            .ToArray();
        var b = new DataViewSchema.Builder();
        b.AddColumn("Label", new KeyDataViewType(typeof(uint), Classes));
        b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, features));
        Schema = b.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    // SplitMix64: a per-row stream, so any row can be regenerated on its own.
    private static ulong Mix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private sealed class Cursor(SyntheticImageView view, HashSet<int> active) : DataViewRowCursor
    {
        private long _position = -1;
        private ulong _state;
        private int _label;
        private long _generated = -1;

        public override DataViewSchema Schema => view.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_position + 1 >= view._rows)
            {
                _position = view._rows;
                return false;
            }
            _position++;
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        // Starts row _position's stream and draws its class (once per row, whichever getter asks first).
        private void Start()
        {
            if (_generated == _position)
                return;
            _generated = _position;
            _state = view._seed * 0x632BE59BD9B4E019UL + (ulong)_position;
            _label = (int)(Mix(ref _state) % Classes);
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0)
            {
                ValueGetter<uint> label = (ref uint v) =>
                {
                    Start();
                    v = (uint)_label + 1;
                };
                return (ValueGetter<TValue>)(Delegate)label;
            }
            int f = view._features;
            bool quantized = view._quantized;
            ValueGetter<VBuffer<float>> features = (ref VBuffer<float> v) =>
            {
                Start();
                ulong state = _state; // the features' stream, independent of the order the getters are called in
                var prototype = view._prototypes[_label];
                var editor = VBufferEditor.Create(ref v, f);
                var values = editor.Values;
                for (int j = 0; j < f; j++)
                {
                    // Two 32-bit uniforms per draw: a triangular noise in (-1, 1).
                    ulong bits = Mix(ref state);
                    float noise = (uint)bits * (1f / 4294967296f) - (uint)(bits >> 32) * (1f / 4294967296f);
                    float x = 0.8f * prototype[j] + 0.5f * noise - 0.2f;
                    values[j] = x <= 0 ? 0 : x >= 1 ? 1 : quantized ? MathF.Round(x * 255) / 255 : x;
                }
                v = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)features;
        }
    }
}
