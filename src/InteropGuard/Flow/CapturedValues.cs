using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// What each flow capture of one control-flow graph holds. The graph moves a value aside into a capture where the
    /// evaluation of an expression branches (<c>?.</c>, <c>??</c>, <c>?:</c>, <c>&amp;&amp;</c>, <c>||</c>): the operands
    /// already evaluated (<c>g(owner, f(owner.Handle), c ? 1 : 0)</c> captures <c>owner</c> before <c>f</c> runs), the
    /// receiver of a conditional access, each branch's value. A later <see cref="IFlowCaptureReferenceOperation"/> reads
    /// what was captured: the same object, kept on the evaluation stack in between. Read once per graph, from the
    /// blocks' own operations (a capture is always one of them).
    /// </summary>
    internal sealed class CapturedValues
    {
        // A capture's value may be another capture's reference; followed this far, as deep nesting is rare.
        private const int MaxChain = 8;

        private readonly Dictionary<CaptureId, List<IOperation>> _values = new Dictionary<CaptureId, List<IOperation>>();

        public CapturedValues(IEnumerable<IOperation> statements)
        {
            foreach (var statement in statements)
            {
                if (statement is IFlowCaptureOperation capture)
                {
                    if (!_values.TryGetValue(capture.Id, out var values))
                    {
                        _values.Add(capture.Id, values = new List<IOperation>(1));
                    }

                    values.Add(capture.Value);
                }
            }
        }

        public bool IsEmpty => _values.Count == 0;

        /// <summary>
        /// The value written where <paramref name="value"/> stands, when it is a reference to a capture with one value
        /// (an operand the graph moved aside, not a branch's result): <c>_ptr</c> for the graph's first argument of
        /// <c>Decode(_ptr, …, fec ? 1 : 0)</c>. Otherwise <paramref name="value"/> itself.
        /// </summary>
        public IOperation Resolve(IOperation value)
        {
            for (var depth = 0; depth < MaxChain && value is IFlowCaptureReferenceOperation reference
                                && _values.TryGetValue(reference.Id, out var values) && values.Count == 1; depth++)
            {
                value = values[0];
            }

            return value;
        }

        /// <summary>
        /// Does every value captured under the reference's id satisfy <paramref name="holds"/> (a value that is itself a
        /// reference to a capture is asked in turn)? Every one: a capture given the owner on one branch and another object
        /// on the other (<c>g(c ? owner : other, f(owner.Handle))</c>) does not hold the owner on every path to the call.
        /// </summary>
        public bool AllHold(IFlowCaptureReferenceOperation reference, Func<IOperation, bool> holds) => AllHold(reference, holds, 0);

        /// <summary>
        /// The one answer <paramref name="read"/> gives for every value captured under the reference's id, or
        /// <c>default</c> when the capture is unknown or two values answer differently (<paramref name="same"/>).
        /// </summary>
        public T OneAnswerForAll<T>(IFlowCaptureReferenceOperation reference, Func<IOperation, T> read, Func<T, T, bool> same)
        {
            if (!_values.TryGetValue(reference.Id, out var values))
            {
                return default!;
            }

            var first = read(values[0]);
            for (var i = 1; i < values.Count; i++)
            {
                if (!same(first, read(values[i])))
                {
                    return default!;
                }
            }

            return first;
        }

        private bool AllHold(IFlowCaptureReferenceOperation reference, Func<IOperation, bool> holds, int depth)
        {
            if (depth >= MaxChain || !_values.TryGetValue(reference.Id, out var values))
            {
                return false;
            }

            foreach (var value in values)
            {
                var held = value is IFlowCaptureReferenceOperation inner ? AllHold(inner, holds, depth + 1) : holds(value);
                if (!held)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
