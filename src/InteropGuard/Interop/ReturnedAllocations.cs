using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "This method (or property getter) of the compilation returns a fresh allocation of kind K, released by R": a
    /// managed helper such as a string marshaller that returns an <c>AllocHGlobal</c> copy, or a property whose getter
    /// returns <c>GCHandle.Alloc(this, Pinned)</c>. A call to such a helper is an allocation site like a catalogue call.
    /// </summary>
    /// <remarks>
    /// Asked by <see cref="AllocationCatalogue"/> for methods it does not know, whose answer it caches per symbol. Deciding
    /// from syntax first keeps it cheap: only a body that names a catalogue allocator and returns a pointer, an IntPtr or a
    /// GCHandle can be such a helper, and only those are bound. A helper qualifies only when every value it returns is
    /// either null/zero or a block it allocated itself and did not release, store or hand to anyone on the way.
    /// </remarks>
    internal static class ReturnedAllocations
    {
        /// <summary>Can the declaration be a helper returning a fresh allocation? Decided from syntax alone.</summary>
        public static bool MayReturnAllocation(IMethodSymbol method, Func<string, bool> isAllocatorName, Func<ITypeSymbol, bool> isHandleType)
        {
            if (!(method.MethodKind == MethodKind.Ordinary || method.MethodKind == MethodKind.PropertyGet) || method.IsExtern || method.IsAbstract
                || method.ReturnsByRef)
            {
                return false;
            }

            // A SafeHandle a wrapper opens (an out argument of a native call, a creation) and returns: libgit2sharp's Proxy
            // layer, where each P/Invoke's result is checked before the handle is handed to the caller.
            var handle = !IsResourceType(method.ReturnType) && isHandleType(method.ReturnType);
            if (!handle && !IsResourceType(method.ReturnType))
            {
                return false;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (!DeclarationBodies.TryGet(reference.GetSyntax(), out var body, out var expressionBody))
                {
                    continue;
                }

                SyntaxNode? node = (SyntaxNode?)body ?? expressionBody;
                if (node == null)
                {
                    continue;
                }

                if (handle
                        ? node.DescendantNodesAndSelf().Any(n => n is BaseObjectCreationExpressionSyntax || (n is ArgumentSyntax argument && (argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword) || argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword))))
                        : node.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(i => InvokedName(i.Expression) is { } name && isAllocatorName(name)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The allocator behind every non-null value <paramref name="body"/> returns, or null when some return is not a
        /// fresh, still-owned allocation (or all are of different kinds, or none allocates).
        /// </summary>
        /// <paramref name="handedOut"/> reads a SafeHandle creation or an <c>out</c>/<c>ref</c> argument a native call fills.
        /// <paramref name="makesView"/> reads a factory call that hands out a handle owning nothing (<see cref="AllocationCatalogue.MakesView"/>).
        public static Allocator? Summarize(IOperation body, Func<IMethodSymbol, Allocator?> allocatorOf, Func<IMethodSymbol, bool> isRelease, Func<IOperation, Allocator?> handedOut, Func<IInvocationOperation, bool> makesView)
        {
            Allocator? found = null;
            var returnedLocals = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            foreach (var ret in body.DescendantsAndSelf().OfType<IReturnOperation>())
            {
                if (OperationTree.IsInNestedFunction(ret, body) || ret.ReturnedValue == null)
                {
                    continue;
                }

                var value = Unwrap(ret.ReturnedValue);
                Allocator? allocator;
                if (IsZero(value))
                {
                    continue;
                }

                if (value is IInvocationOperation call)
                {
                    // A factory told not to own what it wraps hands out a view ('Zero => DangerousCreate(IntPtr.Zero, false)').
                    allocator = makesView(call) ? null : allocatorOf(call.TargetMethod);
                }
                else if (value is IObjectCreationOperation creation)
                {
                    allocator = handedOut(creation);
                }
                else if (value is ILocalReferenceOperation local && !local.Local.IsRef)
                {
                    returnedLocals.Add(local.Local);
                    allocator = LocalAllocation(body, local.Local, allocatorOf, isRelease, handedOut);
                }
                else
                {
                    return null;
                }

                if (allocator == null || allocator.ReallocatedParameter >= 0 || (found != null && found.Family != allocator.Family))
                {
                    return null;
                }

                found ??= allocator;
            }

            return found;
        }

        /// <summary>The allocator of a local every write of which is an allocation (or zero), and that nothing releases or stores elsewhere.</summary>
        private static Allocator? LocalAllocation(IOperation body, ILocalSymbol local, Func<IMethodSymbol, Allocator?> allocatorOf, Func<IMethodSymbol, bool> isRelease, Func<IOperation, Allocator?> handedOut)
        {
            Allocator? found = null;
            foreach (var operation in body.Descendants())
            {
                if (operation is ILocalReferenceOperation filled && SymbolEqualityComparer.Default.Equals(filled.Local, local) && FilledArgument(filled) is { } argument)
                {
                    // Native.open(path, out h): the call writes the local. Only a SafeHandle the marshaller makes counts.
                    if (OperationTree.IsInNestedFunction(filled, body) || handedOut(argument) is not { } opened || (found != null && found.Family != opened.Family))
                    {
                        return null;
                    }

                    found ??= opened;
                    continue;
                }

                IOperation? written = operation switch
                {
                    IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) => declarator.Initializer?.Value,
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local) => assignment.Value,
                    _ => null,
                };

                if (written != null)
                {
                    var value = Unwrap(written);
                    if (IsZero(value))
                    {
                        continue;
                    }

                    var allocator = value switch
                    {
                        IInvocationOperation call => allocatorOf(call.TargetMethod),
                        IObjectCreationOperation creation => handedOut(creation),
                        _ => null,
                    };
                    if (allocator == null || (found != null && found.Family != allocator.Family))
                    {
                        return null;
                    }

                    found ??= allocator;
                    continue;
                }

                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                    && (OperationTree.IsInNestedFunction(reference, body) || !Borrows(reference, isRelease)))
                {
                    return null;
                }
            }

            return found;
        }

        /// <summary>The <c>out</c>/<c>ref</c> argument of a call that <paramref name="reference"/> is (<c>out h</c>, <c>out var h</c>), or null.</summary>
        private static IArgumentOperation? FilledArgument(ILocalReferenceOperation reference)
        {
            var holder = reference.Parent is IDeclarationExpressionOperation declaration ? declaration : (IOperation)reference;
            return holder.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref, Parent: IInvocationOperation } argument ? argument : null;
        }

        /// <summary>A read that leaves the block owned by the local: anything but a release, a store elsewhere, a capture or a by-ref pass.</summary>
        private static bool Borrows(ILocalReferenceOperation reference, Func<IMethodSymbol, bool> isRelease)
        {
            IOperation current = reference;
            while (current.Parent is IConversionOperation { OperatorMethod: null } || current.Parent is IInvocationOperation { TargetMethod.Name: "ToPointer" } || current.Parent is IArgumentOperation { Parent: IObjectCreationOperation })
            {
                current = current.Parent is IArgumentOperation { Parent: IObjectCreationOperation creation } ? creation : current.Parent!;
            }

            if (HandleNumberOf(current) is { } number)
            {
                // GCHandle.ToIntPtr(h), (IntPtr)h: the number is the handle. Returned, it is the value checked on its
                // own; anywhere else (native user data, a field, a dictionary) someone else may free the handle.
                return number.Parent is IReturnOperation;
            }

            switch (current.Parent)
            {
                case ISimpleAssignmentOperation assignment when assignment.Target == current:
                    // Overwritten: the writes are checked on their own.
                    return true;
                case ISimpleAssignmentOperation:
                case IVariableInitializerOperation:
                    // Copied or stored: another name or owner holds the block.
                    return false;
                case IArgumentOperation { Parent: IInvocationOperation call } when isRelease(call.TargetMethod) && ThrowsAfter(call):
                    // Released on an error path that then throws (Magick.NET's wrappers free the result when the native
                    // call reported an exception): the caller never receives that block.
                    return true;
                case IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call }:
                    // Read through (Marshal.Copy's destination, a native fill): a pointer-typed parameter that is not the
                    // value to store; a collection's Add(T) or an object parameter keeps it, and so does a method of this
                    // compilation that stores the parameter (ClrMD's VTableBuilder.Complete registers the block with its
                    // owner, which frees it, before returning it).
                    var type = parameter.OriginalDefinition.Type;
                    return parameter.RefKind == RefKind.None && !isRelease(call.TargetMethod) && !StoresParameter(call.TargetMethod, parameter)
                           && parameter.Name != "val" && parameter.Name != "value"
                           && (type is IPointerTypeSymbol || type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr);
                case IInvocationOperation { TargetMethod.Name: "Free" or "Dispose" or "Close" } release when release.Instance == current:
                    return false;
                case IArgumentOperation:
                    return false;
                default:
                    // Returned, dereferenced, indexed, compared, member access (AddrOfPinnedObject).
                    return true;
            }
        }

        /// <summary>
        /// Does the block around <paramref name="call"/>'s statement end in a <c>throw</c> that the statement leads to: the
        /// release is followed, on every path out of that block, by the throw (<c>if (error) { if (p != 0) free(p); throw e; }</c>)?
        /// </summary>
        private static bool ThrowsAfter(IOperation call)
        {
            var statement = call.Parent as IExpressionStatementOperation;
            IOperation? current = statement;
            for (var level = 0; current != null && level < 3; level++, current = current.Parent)
            {
                if (current.Parent is IBlockOperation block)
                {
                    var last = block.Operations.LastOrDefault();
                    return last != current && (last is IThrowOperation || last is IExpressionStatementOperation { Operation: IThrowOperation });
                }

                // Only an 'if' without else may stand between: its other path skips the release and reaches the throw too.
                if (current.Parent is not IConditionalOperation { WhenFalse: null } conditional || conditional.WhenTrue != current)
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>The value under conversions, <c>new IntPtr(p)</c> and <c>p.ToPointer()</c> (the same address), and under <c>GCHandle.ToIntPtr(h)</c> and <c>(IntPtr)h</c> (the same handle, as a number).</summary>
        private static IOperation Unwrap(IOperation value)
        {
            while (true)
            {
                switch (value)
                {
                    case IConversionOperation { OperatorMethod: null } conversion:
                        value = conversion.Operand;
                        continue;
                    case IObjectCreationOperation { Arguments.Length: 1 } creation when creation.Type?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr:
                        value = creation.Arguments[0].Value;
                        continue;
                    case IInvocationOperation { TargetMethod.Name: "ToPointer", Instance: { } instance, Arguments.Length: 0 }:
                        value = instance;
                        continue;
                    case IInvocationOperation { TargetMethod: { Name: "ToIntPtr", IsStatic: true } method, Arguments.Length: 1 } toIntPtr when IsGCHandle(method.ContainingType):
                        value = toIntPtr.Arguments[0].Value;
                        continue;
                    case IConversionOperation { OperatorMethod: { } conversionOperator } converted when IsGCHandle(conversionOperator.ContainingType) && IsGCHandle(converted.Operand.Type):
                        value = converted.Operand;
                        continue;
                    default:
                        return value;
                }
            }
        }

        /// <summary>The number a handle read by <paramref name="handle"/> is turned into (<c>GCHandle.ToIntPtr(h)</c>, <c>(IntPtr)h</c>), or null.</summary>
        private static IOperation? HandleNumberOf(IOperation handle) => handle.Parent switch
        {
            IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: "ToIntPtr", IsStatic: true } method } toIntPtr } when IsGCHandle(method.ContainingType) => toIntPtr,
            IConversionOperation { OperatorMethod: { } conversionOperator } converted when IsGCHandle(conversionOperator.ContainingType) => converted,
            _ => null,
        };

        private static bool IsGCHandle(ITypeSymbol? type)
            => type?.Name == "GCHandle" && NamespaceNames.Is(type.ContainingNamespace, "System.Runtime.InteropServices");

        private static bool IsZero(IOperation value)
            => value is IDefaultValueOperation
               || (value.ConstantValue.HasValue && (value.ConstantValue.Value == null || value.ConstantValue.Value is 0 or 0L))
               || (value is IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" } field } && field.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr);

        private static bool IsResourceType(ITypeSymbol type)
            => type is IPointerTypeSymbol
               || type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr
               || IsGCHandle(type);

        private static string? InvokedName(ExpressionSyntax expression) => AllocationCandidates.InvokedName(expression);

        /// <summary>
        /// Does a method of this compilation store <paramref name="parameter"/>: assign it to something other than a local,
        /// or pass it to a collection's <c>Add</c>/<c>TryAdd</c>/<c>Insert</c>/<c>Push</c>/<c>Enqueue</c>? Read from the
        /// method's syntax, by name.
        /// </summary>
        private static bool StoresParameter(IMethodSymbol method, IParameterSymbol parameter)
        {
            if (!SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, method.OriginalDefinition))
            {
                return false;
            }

            foreach (var reference in method.OriginalDefinition.DeclaringSyntaxReferences)
            {
                foreach (var name in reference.GetSyntax().DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    if (name.Identifier.ValueText != parameter.Name)
                    {
                        continue;
                    }

                    if (name.Parent is AssignmentExpressionSyntax assignment && assignment.Right == name
                        && (assignment.Left is MemberAccessExpressionSyntax or ElementAccessExpressionSyntax
                            || (assignment.Left is IdentifierNameSyntax target && !IsLocalName(reference.GetSyntax(), target.Identifier.ValueText))))
                    {
                        return true;
                    }

                    if (name.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } }
                        && InvokedName(invocation.Expression) is "Add" or "TryAdd" or "Insert" or "Push" or "Enqueue")
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        // A name declared as a local (or parameter) of the method: assigning to it stores nothing.
        private static bool IsLocalName(SyntaxNode method, string name)
            => method.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(v => v.Identifier.ValueText == name)
               || method.DescendantNodes().OfType<ParameterSyntax>().Any(p => p.Identifier.ValueText == name);
    }
}
