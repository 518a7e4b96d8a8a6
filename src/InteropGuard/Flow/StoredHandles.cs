using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>The raw handles a body stores into the elements of its local arrays of structs (IG1001's owners through a handle record array).</summary>
    internal static class StoredHandles
    {
        /// <summary>
        /// For each local array of structs, the raw handles stored into its elements' handle fields: by an element
        /// initializer (<c>records[i] = new Record { Handle = owner.Handle }</c>) or a field store
        /// (<c>records[i].Handle = owner.Handle</c>). Read from the body's operation tree, where initializers are whole.
        /// </summary>
        public static Dictionary<ILocalSymbol, List<IOperation>> In(IOperation root)
        {
            var stored = new Dictionary<ILocalSymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            foreach (var assignment in root.Descendants().OfType<ISimpleAssignmentOperation>())
            {
                switch (assignment.Target)
                {
                    case IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation records }
                        when OperationTree.SkipConversions(assignment.Value) is IObjectCreationOperation { Initializer: { } initializer }:
                        foreach (var member in initializer.Initializers.OfType<ISimpleAssignmentOperation>())
                        {
                            if (member.Target is IFieldReferenceOperation or IPropertyReferenceOperation && HandleOwners.IsRawHandleType(member.Target.Type))
                            {
                                Add(records.Local, member.Value);
                            }
                        }

                        break;
                    case IFieldReferenceOperation { Instance: IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation records } } field
                        when HandleOwners.IsRawHandleType(field.Type):
                        Add(records.Local, assignment.Value);
                        break;
                }
            }

            return stored;

            void Add(ILocalSymbol local, IOperation handle)
            {
                if (!stored.TryGetValue(local, out var handles))
                {
                    stored[local] = handles = new List<IOperation>();
                }

                handles.Add(handle);
            }
        }
    }
}
