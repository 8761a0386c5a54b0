using MLNetAdam.Distributed;

namespace MLNetAdam.Tests.Distributed;

/// <summary>
/// Ranks as threads of this process, for testing data-parallel training without MPI: every collective waits at a
/// barrier until all ranks have contributed, then each rank reads the result. Sums add the ranks' values in rank
/// order, so the result does not depend on which thread arrives first.
/// </summary>
internal sealed class ThreadGroup
{
    private readonly Barrier _barrier;
    private readonly object[] _slots;
    private volatile bool _aborted;

    public ThreadGroup(int size)
    {
        Size = size;
        _barrier = new Barrier(size);
        _slots = new object[size];
    }

    public int Size { get; }

    public Communicator Rank(int rank) => new Member(this, rank);

    private T[] Gather<T>(int rank, ReadOnlySpan<T> values)
    {
        _slots[rank] = values.ToArray();
        Wait();
        var all = new T[Size][];
        for (int r = 0; r < Size; r++)
            all[r] = (T[])_slots[r];
        Wait();
        return all.SelectMany(a => a).ToArray();
    }

    private void Wait()
    {
        if (_aborted || !_barrier.SignalAndWait(TimeSpan.FromSeconds(60)) || _aborted)
            throw new OperationCanceledException("Another rank aborted the group.");
    }

    private sealed class Member(ThreadGroup group, int rank) : Communicator
    {
        public override int Rank => rank;

        public override int Size => group.Size;

        public override void SumInPlace(Span<float> values) => Sum(values);

        public override void SumInPlace(Span<double> values) => Sum(values);

        // Adds the ranks' values in rank order (the same result whichever thread arrives first).
        private void Sum<T>(Span<T> values)
            where T : System.Numerics.INumber<T>
        {
            var all = group.Gather<T>(rank, values);
            for (int i = 0; i < values.Length; i++)
            {
                T sum = T.Zero;
                for (int r = 0; r < group.Size; r++)
                    sum += all[r * values.Length + i];
                values[i] = sum;
            }
        }

        public override void MaxInPlace(Span<double> values)
        {
            var all = group.Gather<double>(rank, values);
            for (int i = 0; i < values.Length; i++)
            {
                double max = double.NegativeInfinity;
                for (int r = 0; r < group.Size; r++)
                    max = Math.Max(max, all[r * values.Length + i]);
                values[i] = max;
            }
        }

        public override void Broadcast(Span<float> values, int root)
        {
            var all = group.Gather<float>(rank, values);
            all.AsSpan(root * values.Length, values.Length).CopyTo(values);
        }

        public override void Barrier() => group.Wait();

        public override void Abort(int errorCode)
        {
            if (group._aborted)
                return;
            group._aborted = true;
            group._barrier.RemoveParticipant();
        }
    }
}
