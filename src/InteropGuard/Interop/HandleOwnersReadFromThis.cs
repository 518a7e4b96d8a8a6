using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// An owner the method read from its own object: <c>var target = this.saved[0].Target as IRenderTarget;</c>, then
    /// <c>Native.bind(target.Depth, …)</c>, then <c>saved = null;</c> (FNA's <c>BaseYUVPlayer.GL_popState</c>). While
    /// <c>this</c> is used after the call it is live across it, and through the fields, plain getters and array elements
    /// the local was read along it still holds the local's object, unless one of those links was given another value
    /// before the call. So the owner cannot be collected during the call: the keep-alive the rule asks for, by another
    /// route (the converse of <see cref="HandleOwnersKeptByThis"/>, where the method stores the owner into its object).
    /// Asked only of a finding about to be reported. The reading:
    /// <list type="bullet">
    /// <item>the owner is a local given one value in the body, a chain from <c>this</c> of instance fields,
    /// auto-properties or getters returning a field of their object, and array elements at constant indices, through
    /// reference conversions (<c>as</c>, casts; no user-defined conversion);</item>
    /// <item>that assignment is a statement of a list that holds the call, with no loop or function between them;</item>
    /// <item>no statement from it up to the one holding the call (that statement included) can change a link: a write of
    /// a field or property of the chain, a write of an element (or its address taken) of an array of a chain's array
    /// type, a call on <c>this</c> or on a link, <c>this</c> or a link handed anywhere but to a method of the
    /// compilation that only reads the array it is given (its elements' members and <c>Length</c>);</item>
    /// <item><c>this</c> is used after the call: by a later statement of a list around the call that control reaches
    /// from it, nothing before it in those lists leaving them.</item>
    /// </list>
    /// A link written before the call, a call given the array that may write it, an index that is not a constant, a local
    /// read from another object's fields, or nothing of <c>this</c> after the call leave the finding. As for
    /// <see cref="HandleOwnersKeptByThis"/>, what another thread or a callback may write is not looked for.
    /// </summary>
    internal static class HandleOwnersReadFromThis
    {
        // How many links a chain may have before the reading gives up.
        private const int MaxLinks = 8;

        /// <param name="singleValue">The one value the body gives a local (its initializer or one assignment, written no other
        /// way), or null: the body's reading of its locals (<c>Flow/LocalOrigins</c>).</param>
        public static bool Keeps(InteropContext interop, HandleOwners owners, HandleOwner owner, IOperation call, IMethodSymbol method, IOperation root, System.Func<ILocalSymbol, IOperation?> singleValue)
        {
            if (owner.Kind != HandleOwnerKind.Variable || owner.Member != null || owner.Carrier != null || method.IsStatic || method.ContainingType?.TypeKind != TypeKind.Class
                || owner.Root is not ILocalSymbol { IsRef: false } local || OperationTree.SkipConversions(owner.Owner) is not ILocalReferenceOperation
                || OperationTree.InTree(call, root) is not { } inTree
                || singleValue(local) is not { } value || Chain(owners, value) is not { } links)
            {
                return false;
            }

            // The assignment's statement and the statement of the same list that holds the call.
            var statement = value;
            while (statement.Parent is { } parent && parent is not IBlockOperation)
            {
                if (OperationTree.IsFunction(parent) || parent is ILoopOperation)
                {
                    return false;
                }

                statement = parent;
            }

            if (statement.Parent is not IBlockOperation block)
            {
                return false;
            }

            var holding = inTree;
            while (holding.Parent != block)
            {
                if (holding.Parent is not { } parent || OperationTree.IsFunction(parent) || parent is ILoopOperation)
                {
                    return false;
                }

                holding = parent;
            }

            var from = block.Operations.IndexOf(statement);
            var to = block.Operations.IndexOf(holding);
            if (from < 0 || to <= from)
            {
                return false;
            }

            for (var i = from + 1; i <= to; i++)
            {
                if (OperationTree.Any(block.Operations[i], o => MayChange(interop, o, links)))
                {
                    return false;
                }
            }

            return ThisUsedAfter(inTree);
        }

        /// <summary>The links of a chain from <c>this</c> (fields, properties, array types), or null when the value is not one.</summary>
        private static List<object>? Chain(HandleOwners owners, IOperation value)
        {
            var links = new List<object>();
            var current = value;
            while (links.Count <= MaxLinks)
            {
                switch (current)
                {
                    case IConversionOperation conversion when conversion.OperatorMethod == null && (conversion.Conversion.IsReference || conversion.Conversion.IsIdentity):
                        current = conversion.Operand;
                        continue;
                    case IFieldReferenceOperation { Field.IsStatic: false, Instance: { } instance } field:
                        links.Add(field.Field.OriginalDefinition);
                        current = instance;
                        continue;
                    case IPropertyReferenceOperation { Property: { IsStatic: false, IsIndexer: false } property, Instance: { } instance } when owners.ReturnsOwnField(property):
                        links.Add(property.OriginalDefinition);
                        current = instance;
                        continue;
                    case IArrayElementReferenceOperation element when element.ArrayReference.Type is IArrayTypeSymbol arrayType && AllConstant(element.Indices):
                        links.Add(arrayType);
                        current = element.ArrayReference;
                        continue;
                    case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                        return links.Count > 0 ? links : null;
                    default:
                        return null;
                }
            }

            return null;
        }

        private static bool AllConstant(System.Collections.Immutable.ImmutableArray<IOperation> indices)
        {
            foreach (var index in indices)
            {
                if (!index.ConstantValue.HasValue)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Can this operation, between the assignment and the call, give a link of the chain another value?</summary>
        private static bool MayChange(InteropContext interop, IOperation operation, List<object> links)
        {
            switch (operation)
            {
                case IFieldReferenceOperation field when links.Contains(field.Field.OriginalDefinition):
                    return IsWritten(field) || HandedOn(interop, field);
                case IPropertyReferenceOperation property when links.Contains(property.Property.OriginalDefinition):
                    return IsWritten(property) || HandedOn(interop, property);
                case IArrayElementReferenceOperation element when element.ArrayReference.Type is IArrayTypeSymbol arrayType && MayAlias(arrayType, links):
                    return IsWritten(element) || element.Parent is IInvocationOperation { Instance: { } instance } && instance == element;
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } self:
                    // 'this' may be the receiver of a field, or of a property read; called on, handed on, or given to a
                    // setter, it may reach a link.
                    return self.Parent is not (IFieldReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: false })
                           || (self.Parent is IPropertyReferenceOperation written && IsWritten(written));
                default:
                    return false;
            }
        }

        private static bool IsWritten(IOperation reference)
            => (reference.Parent is IAssignmentOperation assignment && assignment.Target == reference) || OperationTree.IsOtherWrite(reference);

        /// <summary>
        /// Is a link's value handed where it may be changed: called on, or given to anything but a method of the
        /// compilation that only reads the array it takes? Read for a member, for its length or compared, it stays.
        /// </summary>
        private static bool HandedOn(InteropContext interop, IOperation link)
        {
            var value = OperationTree.WithConversions(link);
            return value.Parent switch
            {
                IFieldReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: false } or IArrayElementReferenceOperation => false,
                IBinaryOperation or IIsPatternOperation or IIsTypeOperation => false,
                IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call } => !OnlyReadsArray(interop, call.TargetMethod, parameter),
                _ => true,
            };
        }

        /// <summary>A chain's array type, or a written array that may be the same object (reference elements are covariant).</summary>
        private static bool MayAlias(IArrayTypeSymbol written, List<object> links)
        {
            foreach (var link in links)
            {
                if (link is IArrayTypeSymbol array
                    && (SymbolEqualityComparer.Default.Equals(array, written) || (array.ElementType.IsReferenceType && written.ElementType.IsReferenceType)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Does a method of this compilation (not virtual) only read the array its parameter is given: its elements read
        /// for a member or copied, its <c>Length</c>? An element written, lent by reference, or called on, or the array
        /// handed on, may change what a link holds.
        /// </summary>
        private static bool OnlyReadsArray(InteropContext interop, IMethodSymbol method, IParameterSymbol parameter)
        {
            if (parameter.RefKind != RefKind.None || parameter.Type is not IArrayTypeSymbol || method.IsVirtual || method.IsAbstract || method.IsOverride
                || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, interop.Compilation.Assembly) || interop.Wrappers.GetBody(method.OriginalDefinition) is not { } body)
            {
                return false;
            }

            var ordinal = parameter.Ordinal;
            foreach (var operation in body.Descendants())
            {
                if (operation is not IParameterReferenceOperation reference || reference.Parameter.Ordinal != ordinal || !SymbolEqualityComparer.Default.Equals(reference.Parameter.ContainingSymbol, method.OriginalDefinition))
                {
                    continue;
                }

                switch (reference.Parent)
                {
                    case IPropertyReferenceOperation { Property.Name: "Length" or "LongLength" } length when length.Instance == reference:
                        continue;
                    case IArrayElementReferenceOperation element when element.ArrayReference == reference && !IsWritten(element)
                                                                      && element.Parent is IFieldReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: false } or IVariableInitializerOperation or IConversionOperation
                                                                      && !(element.Parent is IFieldReferenceOperation or IPropertyReferenceOperation && IsWritten(element.Parent)):
                        continue;
                    default:
                        return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Is <c>this</c> read after the call by a later statement of a list around it that control reaches from the call
        /// (nothing before it in those lists leaves them)?
        /// </summary>
        private static bool ThisUsedAfter(IOperation call)
        {
            var first = true;
            for (var current = call; current.Parent is { } parent; current = parent)
            {
                if (OperationTree.IsFunction(parent) || parent is ILoopOperation)
                {
                    return false;
                }

                if (parent is not IBlockOperation block)
                {
                    continue;
                }

                if (first && OperationTree.Any(current, HandleOwnersKeptByThis.Leaves))
                {
                    return false;
                }

                first = false;
                if (HandleOwnersKeptByThis.ThisReadLaterInList(block, block.Operations.IndexOf(current)) is { } read)
                {
                    return read;
                }
            }

            return false;
        }
    }
}
