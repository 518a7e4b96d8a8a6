using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>The single value each local of a body is assigned, where it has one (IG1001's owners through a local's value).</summary>
    internal static class LocalOrigins
    {
        /// <summary>
        /// The single value each local is assigned (by its declaration or an assignment; in a graph, declarations are
        /// assignments), when it is assigned exactly once and written no other way (<see cref="OperationTree.IsOtherWrite"/>)
        /// nor lent by reference.
        /// </summary>
        public static Dictionary<ILocalSymbol, IOperation> In(IEnumerable<IOperation> operations)
        {
            var origins = new Origins();
            foreach (var operation in operations)
            {
                origins.Note(operation);
            }

            return origins.Values();
        }

        /// <summary>
        /// <see cref="In(IEnumerable{IOperation})"/> of the operations under <paramref name="root"/>, read by
        /// recursion over the child lists (Descendants() built an enumerator stack for every body asked).
        /// </summary>
        public static Dictionary<ILocalSymbol, IOperation> In(IOperation root)
        {
            var origins = new Origins();
            NoteBelow(root, origins, 0);
            return origins.Values();

            static void NoteBelow(IOperation parent, Origins origins, int depth)
            {
                foreach (var operation in parent.ChildOperations)
                {
                    origins.Note(operation);
                    if (OperationTree.HasNoChildren(operation.Kind))
                    {
                        continue;
                    }

                    if (depth < OperationTree.MaxRecursion)
                    {
                        NoteBelow(operation, origins, depth + 1);
                    }
                    else
                    {
                        foreach (var descendant in operation.Descendants())
                        {
                            origins.Note(descendant);
                        }
                    }
                }
            }
        }

        /// <summary>The values assigned to locals so far, and the locals assigned more than once or by reference.</summary>
        private sealed class Origins
        {
            private readonly Dictionary<ILocalSymbol, IOperation> _values = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
            private HashSet<ILocalSymbol>? _spoiled;

            public void Note(IOperation operation)
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer: { } initializer } declarator:
                        Assign(declarator.Symbol, initializer.Value);
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        Assign(target.Local, assignment.Value);
                        break;
                    // Any other write (compound, '??=', '++', deconstruction, 'out', address taken) or a reference lent.
                    case ILocalReferenceOperation reference when OperationTree.IsOtherWrite(reference)
                                                               || reference.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None }:
                        Spoil(reference.Local);
                        break;
                }
            }

            public Dictionary<ILocalSymbol, IOperation> Values()
            {
                if (_spoiled != null)
                {
                    foreach (var local in _spoiled)
                    {
                        _values.Remove(local);
                    }
                }

                return _values;
            }

            private void Assign(ILocalSymbol local, IOperation value)
            {
                if (_values.ContainsKey(local))
                {
                    Spoil(local);
                }

                _values[local] = value;
            }

            private void Spoil(ILocalSymbol local) => (_spoiled ??= new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default)).Add(local);
        }
    }
}
