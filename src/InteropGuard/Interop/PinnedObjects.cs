using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Is a managed object (array, string, class instance) pinned at a given point of a method? Yes when an enclosing
    /// <c>fixed</c> pins it, when a <c>GCHandle.Alloc(x, GCHandleType.Pinned)</c> of it earlier in the method is not freed
    /// on the way, when a <c>Pin()</c> of a memory over it is in the method, when it comes from a pinned allocation; and,
    /// for an object held in a field, when the field's type pins or pin-allocates it anywhere (another method may hold
    /// the pin). The object is named by <see cref="KeyOf"/>; objects without a name cannot be pinned elsewhere.
    /// </summary>
    internal static class PinnedObjects
    {
        private const int GCHandleTypePinned = 3;

        /// <summary>A name for the object an expression denotes, equal for two expressions that read the same variable; null when it has none.</summary>
        public static string? KeyOf(IOperation? owner)
        {
            owner = ManagedMemoryOrigins.Unwrap(owner);
            switch (owner)
            {
                case ILocalReferenceOperation local:
                    return "L:" + local.Local.Name + "@" + (local.Local.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1);
                case IParameterReferenceOperation parameter:
                    return "P:" + parameter.Parameter.Name + "@" + (parameter.Parameter.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1);
                case IInstanceReferenceOperation:
                    return "this";
                case IFieldReferenceOperation field when field.Field.IsStatic:
                    return "F:" + field.Field.ToDisplayString();
                case IFieldReferenceOperation field:
                    return KeyOf(field.Instance) is { } instance ? instance + "." + field.Field.Name : null;
                default:
                    return null;
            }
        }

        public static bool IsPinnedAt(IOperation use, IOperation owner, ManagedMemoryOrigins origins, WellKnownTypes types)
        {
            owner = ManagedMemoryOrigins.Unwrap(owner)!;
            if (origins.IsPinnedAllocation(owner))
            {
                return true;
            }

            var key = KeyOf(owner);
            if (key == null)
            {
                return false;
            }

            if (owner is ILocalReferenceOperation local && ManagedMemoryOrigins.Root(use).Descendants().Any(op =>
                    (op is IVariableDeclaratorOperation d && SymbolEqualityComparer.Default.Equals(d.Symbol, local.Local) && origins.IsPinnedAllocation(d.GetVariableInitializer()?.Value))
                    || (op is ISimpleAssignmentOperation a && KeyOf(a.Target) == key && origins.IsPinnedAllocation(a.Value))))
            {
                return true;
            }

            return IsInFixedOver(use, key, origins)
                || HasLivePinnedHandle(use, key, types)
                || HasPinOf(ManagedMemoryOrigins.Root(use), key)
                || (FieldOf(owner) is { } field && TypePinsField(field));
        }

        private static bool IsInFixedOver(IOperation use, string key, ManagedMemoryOrigins origins)
        {
            var model = use.SemanticModel;
            if (model == null)
            {
                return false;
            }

            foreach (var statement in use.Syntax.Ancestors().OfType<FixedStatementSyntax>())
            {
                foreach (var variable in statement.Declaration.Variables)
                {
                    if (variable.Initializer?.Value is { } value && PinnedKey(model.GetOperation(value), origins) == key)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>What a <c>fixed</c> initializer pins: the array, string or object behind it.</summary>
        private static string? PinnedKey(IOperation? initializer, ManagedMemoryOrigins origins)
        {
            initializer = ManagedMemoryOrigins.Unwrap(initializer);
            while (initializer is IConversionOperation conversion && !origins.IsSpan(conversion.Operand.Type))
            {
                initializer = ManagedMemoryOrigins.Unwrap(conversion.Operand);
            }

            if (initializer is IAddressOfOperation address)
            {
                var origin = origins.OfReference(address.Reference);
                return origin.IsMovable ? KeyOf(origin.Owner) : null;
            }

            if (initializer != null && origins.IsSpan(initializer.Type))
            {
                var origin = origins.OfSpan(initializer);
                return origin.IsMovable ? KeyOf(origin.Owner) : null;
            }

            return KeyOf(initializer);
        }

        private static bool HasLivePinnedHandle(IOperation use, string key, WellKnownTypes types)
        {
            var root = ManagedMemoryOrigins.Root(use);
            foreach (var call in root.Descendants().OfType<IInvocationOperation>())
            {
                if (!IsPinnedAlloc(call, types) || KeyOf(call.Arguments[0].Value) != key || call.Syntax.SpanStart > use.Syntax.SpanStart)
                {
                    continue;
                }

                var handle = HandleKey(call);
                if (handle == null || !IsFreedBetween(root, handle, call, use))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c>, or with a type not known to be anything else.</summary>
        private static bool IsPinnedAlloc(IInvocationOperation call, WellKnownTypes types)
        {
            if (call.TargetMethod.Name != "Alloc" || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, types.GCHandle)
                || call.Arguments.Length != 2)
            {
                return false;
            }

            var kind = call.Arguments[1].Value.ConstantValue;
            return !kind.HasValue || (kind.Value is int value && value == GCHandleTypePinned);
        }

        private static string? HandleKey(IInvocationOperation alloc)
        {
            var parent = alloc.Parent;
            while (parent is IConversionOperation)
            {
                parent = parent.Parent;
            }

            switch (parent)
            {
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return "L:" + declarator.Symbol.Name + "@" + (declarator.Symbol.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1);
                case ISimpleAssignmentOperation assignment:
                    return KeyOf(assignment.Target);
                default:
                    return null;
            }
        }

        /// <summary>A <c>Free()</c> of the handle between the pin and the use, in a block that also holds the use.</summary>
        private static bool IsFreedBetween(IOperation root, string handle, IOperation alloc, IOperation use)
        {
            foreach (var free in root.Descendants().OfType<IInvocationOperation>())
            {
                if (free.TargetMethod.Name != "Free" || KeyOf(free.Instance) != handle
                    || free.Syntax.SpanStart < alloc.Syntax.SpanStart || free.Syntax.SpanStart > use.Syntax.SpanStart)
                {
                    continue;
                }

                var statement = free.Syntax.FirstAncestorOrSelf<StatementSyntax>();
                if (statement?.Parent is BlockSyntax block && block.Span.Contains(use.Syntax.Span))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A <c>Pin()</c> of memory over the object, also through a local holding that memory (<c>var m = a.AsMemory(); m.Pin()</c>).</summary>
        private static bool HasPinOf(IOperation root, string key)
            => root.Descendants().OfType<IInvocationOperation>().Any(call =>
                call.TargetMethod.Name == "Pin" && call.Instance != null
                && call.Instance.DescendantsAndSelf().Any(op => KeyOf(op) == key
                    || (op is ILocalReferenceOperation local && ManagedMemoryOrigins.SingleSource(local) is { } source && source.DescendantsAndSelf().Any(s => KeyOf(s) == key))));

        private static IFieldSymbol? FieldOf(IOperation owner) => owner switch
        {
            IFieldReferenceOperation field => field.Field,
            _ => null,
        };

        /// <summary>
        /// Does the field's type pin the object held in <paramref name="field"/> anywhere — a pinned GCHandle, a Pin(), or
        /// a pinned allocation naming the field? Another method may then hold the pin: stay silent. (A <c>fixed</c> in
        /// another method is not: it ends before this method runs.)
        /// </summary>
        public static bool TypePinsField(IFieldSymbol field) => TypeMentionsPin(field.ContainingType, field.Name);

        /// <summary>Does <paramref name="type"/> pin <c>this</c> anywhere (<c>GCHandle.Alloc(this, GCHandleType.Pinned)</c>)?</summary>
        public static bool TypePinsThis(INamedTypeSymbol type) => TypeMentionsPin(type, "this");

        private static bool TypeMentionsPin(INamedTypeSymbol type, string name)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    switch (node)
                    {
                        case InvocationExpressionSyntax invocation when Mentions(invocation.ArgumentList, name):
                            var called = invocation.Expression is MemberAccessExpressionSyntax member ? member.Name.Identifier.ValueText : invocation.Expression.ToString();
                            if ((called == "Alloc" && invocation.ArgumentList.Arguments.Count == 2 && invocation.ArgumentList.Arguments[1].ToString().Contains("Pinned"))
                                || called == "AllocateArray" || called == "AllocateUninitializedArray")
                            {
                                return true;
                            }

                            break;
                        case InvocationExpressionSyntax pin when pin.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Pin" } access
                            && access.Expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name):
                            return true;
                        case AssignmentExpressionSyntax assignment when Names(assignment.Left, name)
                            && assignment.Right.ToString().Contains("pinned"):
                            return true;
                        case VariableDeclaratorSyntax declarator when declarator.Identifier.ValueText == name && declarator.Initializer != null
                            && declarator.Initializer.Value.ToString().Contains("pinned"):
                            return true;
                    }
                }
            }

            return false;
        }

        private static bool Mentions(ArgumentListSyntax arguments, string name)
            => arguments.Arguments.Count > 0 && arguments.Arguments[0].Expression.DescendantNodesAndSelf().Any(n =>
                (n is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == name) || (name == "this" && n is ThisExpressionSyntax));

        private static bool Names(ExpressionSyntax target, string name) => target switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText == name,
            _ => false,
        };
    }
}
