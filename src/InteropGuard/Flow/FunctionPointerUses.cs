using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Where a function pointer made of a delegate (by <c>GetFunctionPointerForDelegate</c>, or returned by a helper that
    /// calls it) goes in one body: native calls, or somewhere that outlives the method, or code outside the compilation.
    /// IG1002 asks whether the delegate must outlive those uses; callback discovery (<see cref="DelegatePointerTargets"/>)
    /// asks which native function receives it.
    /// </summary>
    internal sealed class FunctionPointerUses
    {
        public string? Beyond { get; private set; }

        /// <summary>The first native function (direct or through a wrapper) the pointer is given to, retaining or not.</summary>
        public NativeFunction? FirstNative { get; private set; }

        /// <summary>The pointer is returned: the method hands it to its caller.</summary>
        public bool IsReturned { get; private set; }

        /// <summary>The native calls (direct or through a wrapper) that receive the pointer and do not keep it.</summary>
        public List<(IOperation Call, string Function)> Calls { get; } = new List<(IOperation Call, string Function)>();

        /// <summary>Set when the use that could not be followed hands the pointer to code outside the compilation.</summary>
        private bool _leavesCompilation;

        /// <summary>
        /// Null when some use cannot be followed: the rule then stays silent, unless <paramref name="leavesCompilation"/>
        /// says that use gives the pointer to code the compilation does not contain.
        /// </summary>
        public static FunctionPointerUses? Follow(InteropContext interop, InteropScope scope, IOperation conversion, IOperation root, out bool leavesCompilation)
        {
            var uses = new FunctionPointerUses();
            var pending = new Stack<IOperation>();
            pending.Push(conversion);
            var followed = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            leavesCompilation = false;
            while (pending.Count > 0)
            {
                var value = pending.Pop();
                if (!uses.Classify(interop, scope, value, root, pending, followed))
                {
                    leavesCompilation = uses._leavesCompilation;
                    return null;
                }
            }

            return uses;
        }

        private bool LeavesCompilation(IMethodSymbol method)
        {
            _leavesCompilation = method.MethodKind == MethodKind.DelegateInvoke || method.DeclaringSyntaxReferences.Length == 0;
            return false;
        }

        private bool Classify(InteropContext interop, InteropScope scope, IOperation value, IOperation root, Stack<IOperation> pending, HashSet<ILocalSymbol> followed)
        {
            var current = OperationTree.WithConversions(value);

            switch (current.Parent)
            {
                case IArgumentOperation { Parent: IInvocationOperation invocation } argument when argument.Parameter != null && IsMarshalCopy(interop, invocation.TargetMethod):
                    // WriteIntPtr(p, fn) stores the pointer itself; StructureToPtr(table, p, ...) a struct holding it.
                    if (invocation.TargetMethod.Name == "WriteIntPtr" ? argument.Parameter.Ordinal == invocation.Arguments.Length - 1 : argument.Parameter.Ordinal == 0)
                    {
                        Beyond ??= "that 'Marshal." + invocation.TargetMethod.Name + "' writes into native memory";
                        return true;
                    }

                    return false;
                case IArgumentOperation { Parent: IInvocationOperation invocation } argument when argument.Parameter != null:
                    var native = HeldNativeFunctions.Of(interop).CalledBy(invocation);
                    if (native != null)
                    {
                        return NativeCall(invocation, native, scope.Keeps(native, native.Method.Parameters[argument.Parameter.Ordinal]));
                    }

                    if (invocation.TargetMethod.DeclaringSyntaxReferences.Length > 0)
                    {
                        var targets = ParameterSummaries.Of(interop).Get(argument.Parameter, scope, 0).NativeTargets.Targets;
                        if (targets.Count > 0)
                        {
                            var retaining = targets.FirstOrDefault(t => scope.Keeps(t.Function, t.Parameter));
                            return NativeCall(invocation, retaining.Function ?? targets[0].Function, retaining.Function != null);
                        }
                    }

                    return LeavesCompilation(invocation.TargetMethod);
                case IInvocationOperation call when call.Instance == current:
                    // fn.ToInt64(), fn.ToPointer(): the value goes on in another form.
                    return LeavesCompilation(call.TargetMethod);
                case IInvalidOperation:
                    // An argument of a call that does not bind (a component this compilation does not reference).
                    _leavesCompilation = true;
                    return false;
                case IFunctionPointerInvocationOperation call when call.Target == current:
                    return NativeCall(call, null, retaining: false);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return FollowLocal(declarator.Symbol, root, pending, followed);
                case ISimpleAssignmentOperation assignment when assignment.Value == current:
                    switch (assignment.Target)
                    {
                        case ILocalReferenceOperation local:
                            return FollowLocal(local.Local, root, pending, followed);
                        case IFieldReferenceOperation field when field.Field.IsStatic || field.Field.ContainingType?.IsReferenceType == true:
                            Beyond ??= "that is stored in '" + field.Field.Name + "'";
                            return true;
                        case IFieldReferenceOperation field:
                            // A struct of function pointers (a vtable, a callbacks block): where the struct goes is
                            // where the pointer goes.
                            return StoredInStruct(field, root, pending, followed);
                        case { Kind: OperationKind.None } target when WritesThroughPointer(target.Syntax):
                            Beyond ??= "that is written into native memory";
                            return true;
                        case IPropertyReferenceOperation property when property.Property.IsStatic || property.Property.ContainingType?.IsReferenceType == true:
                            Beyond ??= "that is stored in '" + property.Property.Name + "'";
                            return true;
                        default:
                            return false;
                    }

                case IFieldInitializerOperation initializer when initializer.InitializedFields.Length == 1
                                                                  && (initializer.InitializedFields[0].IsStatic || initializer.InitializedFields[0].ContainingType?.IsReferenceType == true):
                    Beyond ??= "that is stored in '" + initializer.InitializedFields[0].Name + "'";
                    return true;
                case IReturnOperation:
                    Beyond ??= "that is returned";
                    IsReturned = true;
                    return true;
                case IAddressOfOperation address when address.Reference == current && OperationTree.WithConversions(address).Parent is IArgumentOperation:
                    // f(&table): the callee reads the struct through its address, as it does one given by 'ref'.
                    pending.Push(address);
                    return true;
                case IFieldReferenceOperation field when field.Instance == current && IsStoreTarget(field):
                    // table.Other = ..., outer.Inner.Read = ...: a store into a field of the followed struct.
                    return true;
                case IBinaryOperation:
                case IIsNullOperation:
                case IIsPatternOperation:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// The pointer is stored into a field of a struct: a local (<c>table.OnRead = fn</c>), the object of an
        /// initializer (<c>new Table { OnRead = fn }</c>), or native memory (<c>p-&gt;OnRead = fn</c>). The struct's own uses
        /// are followed as the pointer's; any other holder (a struct field of a class, a ref local) is not.
        /// </summary>
        private bool StoredInStruct(IFieldReferenceOperation field, IOperation root, Stack<IOperation> pending, HashSet<ILocalSymbol> followed)
        {
            var holder = field.Instance;
            var outermost = field;
            while (holder is IFieldReferenceOperation outer && outer.Type?.IsValueType == true)
            {
                // table.Inner.OnRead = fn: the outermost value-type holder carries it.
                outermost = outer;
                holder = outer.Instance;
            }

            if (outermost != field && (outermost.Field.IsStatic || outermost.Field.ContainingType?.IsReferenceType == true))
            {
                // _table.OnRead = fn: the table is a field of an object (or static), and outlives the method with the pointer.
                Beyond ??= "that is stored in '" + outermost.Field.Name + "'";
                return true;
            }

            if (WritesThroughPointer(field.Syntax))
            {
                Beyond ??= "that is written into native memory";
                return true;
            }

            switch (holder)
            {
                case ILocalReferenceOperation local when !local.Local.IsRef && local.Local.Type?.IsValueType == true:
                    return FollowLocal(local.Local, root, pending, followed);
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } receiver
                    when OperationTree.SkipConversions(field).Parent is ISimpleAssignmentOperation { Parent: IObjectOrCollectionInitializerOperation { Parent: IObjectCreationOperation creation } }
                         && creation.Type?.IsValueType == true:
                    pending.Push(creation);
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// <c>*(IntPtr*)p = fn</c>, <c>p[i] = fn</c>, <c>p-&gt;OnRead = fn</c>, <c>(*p).OnRead = fn</c>: a store through a pointer
        /// (the operation tree shows pointer indirection only as syntax). Not when the pointer is the address of a local
        /// or of stack memory of this method (<c>&amp;table</c>, <c>stackalloc</c>): that memory does not outlive the method.
        /// </summary>
        private static bool WritesThroughPointer(SyntaxNode target)
        {
            var pointer = target switch
            {
                MemberAccessExpressionSyntax access when access.IsKind(SyntaxKind.PointerMemberAccessExpression) => access.Expression,
                MemberAccessExpressionSyntax { Expression: ParenthesizedExpressionSyntax { Expression: PrefixUnaryExpressionSyntax prefix } } when prefix.IsKind(SyntaxKind.PointerIndirectionExpression) => prefix.Operand,
                PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.PointerIndirectionExpression) => prefix.Operand,
                ElementAccessExpressionSyntax element => element.Expression,
                _ => null,
            };
            if (pointer == null)
            {
                return false;
            }

            while (pointer is ParenthesizedExpressionSyntax || pointer is CastExpressionSyntax)
            {
                pointer = pointer is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)pointer).Expression;
            }

            return !(IsStackAddress(pointer) || (pointer is IdentifierNameSyntax name && LocalInitializer(name) is { } initial && IsStackAddress(initial)));
        }

        private static bool IsStackAddress(ExpressionSyntax expression)
            => expression.IsKind(SyntaxKind.AddressOfExpression) || expression is StackAllocArrayCreationExpressionSyntax || expression is ImplicitStackAllocArrayCreationExpressionSyntax
               || (expression is CastExpressionSyntax cast && IsStackAddress(cast.Expression))
               || (expression is ParenthesizedExpressionSyntax parenthesized && IsStackAddress(parenthesized.Expression));

        // The initializer of a local declared in the same body ('var p = stackalloc byte[16];'), found by name.
        private static ExpressionSyntax? LocalInitializer(IdentifierNameSyntax name)
        {
            var body = name.FirstAncestorOrSelf<MemberDeclarationSyntax>();
            return body?.DescendantNodes().OfType<VariableDeclaratorSyntax>()
                .FirstOrDefault(d => d.Identifier.ValueText == name.Identifier.ValueText)?.Initializer?.Value;
        }

        private static bool IsStoreTarget(IFieldReferenceOperation field)
        {
            IOperation current = field;
            while (current.Parent is IFieldReferenceOperation outer && outer.Instance == current && current.Type?.IsValueType == true)
            {
                current = outer;
            }

            return current.Parent is ISimpleAssignmentOperation store && store.Target == current;
        }

        private static bool IsMarshalCopy(InteropContext interop, IMethodSymbol method)
            => (method.Name == "WriteIntPtr" || method.Name == "StructureToPtr") && SymbolEqualityComparer.Default.Equals(method.ContainingType, interop.Types.Marshal);

        private bool NativeCall(IOperation call, NativeFunction? function, bool retaining)
        {
            var name = function?.ToString() ?? call.Syntax.ToString();
            FirstNative ??= function;
            if (retaining)
            {
                Beyond ??= "given to '" + name + "', which keeps it,";
                return true;
            }

            Calls.Add((call, name));
            return true;
        }

        private static bool FollowLocal(ILocalSymbol local, IOperation root, Stack<IOperation> pending, HashSet<ILocalSymbol> followed)
        {
            if (!followed.Add(local))
            {
                return true;
            }

            foreach (var operation in root.Descendants())
            {
                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                    && !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference))
                {
                    if (OperationTree.IsInNestedFunction(reference, root))
                    {
                        return false;
                    }

                    pending.Push(reference);
                }
            }

            return true;
        }
    }
}
